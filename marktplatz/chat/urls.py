from django.urls import path

from marktplatz.chat import views

urlpatterns = [
    path("messages/", views.conversations, name="conversations"),
    path("merchants/<str:code>/message/", views.conversation_start, name="conversation_start"),
    path("conversations/<str:code>/", views.conversation, name="conversation"),
    path("conversations/<str:code>/send/", views.conversation_send, name="conversation_send"),
    path("conversations/<str:code>/messages/", views.conversation_poll, name="conversation_poll"),
    path("conversations/<str:code>/read/", views.conversation_read, name="conversation_read"),
    path("conversations/<str:code>/state/", views.conversation_state, name="conversation_state"),
    path("conversations/<str:code>/assign/", views.conversation_assign, name="conversation_assign"),
    path("conversations/<str:code>/block/", views.conversation_block, name="conversation_block"),
    path(
        "conversations/<str:code>/report/<str:message>/",
        views.message_report,
        name="message_report",
    ),
    path(
        "conversations/<str:code>/pictures/<str:message>/",
        views.message_picture,
        name="message_picture",
    ),
    path("merchant/<str:code>/inbox/", views.inbox, name="inbox"),
    path("merchant/<str:code>/inbox/replies/", views.inbox_replies, name="inbox_replies"),
    path(
        "merchant/<str:code>/inbox/replies/<str:reply>/delete/",
        views.inbox_reply_delete,
        name="inbox_reply_delete",
    ),
    path("operator/chat-reports/", views.operator_reports, name="operator_chat_reports"),
    path(
        "operator/chat-reports/<str:report>/handled/",
        views.operator_report_handled,
        name="operator_report_handled",
    ),
]
