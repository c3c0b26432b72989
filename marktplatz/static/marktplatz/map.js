// The shops on a map (Leaflet, from the XStatic-Leaflet package). The list stays the way
// to reach every shop; the map is an extra for those who see it.
function init() {
  const element = document.getElementById("map");
  const data = document.getElementById("map-points");
  if (!element || !data || !window.L) {
    return;
  }
  const points = JSON.parse(data.textContent);
  if (!points.length) {
    element.hidden = true;
    return;
  }
  // Leaflet guesses its marker images' folder from leaflet.css; with hashed static file
  // names the guess fails and the images are asked for below the page's own path. The
  // page names the images' static URLs instead.
  const icon = window.L.icon({
    ...window.L.Icon.Default.prototype.options,
    iconUrl: element.dataset.icon,
    iconRetinaUrl: element.dataset.icon2x,
    shadowUrl: element.dataset.shadow,
  });
  const map = window.L.map(element, { scrollWheelZoom: false });
  window.L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution,
  }).addTo(map);
  const bounds = [];
  for (const point of points) {
    const marker = window.L.marker([point.lat, point.lon], {
      icon,
      title: point.name,
      alt: point.name,
    });
    const link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    const popup = document.createElement("div");
    popup.append(link, document.createElement("br"), point.category);
    marker.bindPopup(popup).addTo(map);
    bounds.push([point.lat, point.lon]);
  }
  map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
}

if (document.readyState === "loading") {
  window.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
