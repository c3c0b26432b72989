// The till: scan a card's QR code with the phone camera. The browser's own
// BarcodeDetector where it has one, else the barcode-detector package from npm (ZXing
// in WebAssembly, served from this site); typing the card number always works.
const button = document.getElementById("pos-scan");
const ponyfill = window.BarcodeDetectionAPI;
if (ponyfill && button && button.dataset.wasm) {
  // The WebAssembly comes from our own static files, never from a CDN.
  ponyfill.setZXingModuleOverrides({
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? button.dataset.wasm : prefix + path),
  });
}
const Detector = window.BarcodeDetector || (ponyfill && ponyfill.BarcodeDetector);
const video = document.getElementById("pos-video");
const status = document.getElementById("pos-scan-status");
const form = document.getElementById("pos-card-form");

async function scan() {
  const detector = new Detector({ formats: ["qr_code"] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  status.textContent = button.dataset.scanning || "";
  const stop = () => {
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
  };
  const tick = async () => {
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length) {
      stop();
      form.elements.card.value = codes[0].rawValue;
      form.requestSubmit();
      return;
    }
    requestAnimationFrame(tick);
  };
  tick();
}

// What the cashier reads when the camera cannot be used (the page gives the texts in the
// cashier's language); the browser's own error text is not shown. The card number field
// takes the focus: typing the number always works.
function explain(error) {
  const name = (error && error.name) || "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return button.dataset.denied;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
    return button.dataset.nocamera;
  }
  return button.dataset.failed;
}

if (button && Detector && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  button.hidden = false;
  button.addEventListener("click", () => {
    scan().catch((error) => {
      video.hidden = true;
      status.textContent = explain(error);
      form.elements.card.focus();
    });
  });
}
