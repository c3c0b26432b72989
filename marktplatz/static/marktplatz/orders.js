// The order form: "Use my location" fills the delivery location from the phone, if the
// person allows it. Without the script (or without permission) the fields are typed.
const button = document.querySelector("[data-locate]");
if (button && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition((position) => {
      document.getElementById("id_latitude").value = position.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = position.coords.longitude.toFixed(6);
    });
  });
}
