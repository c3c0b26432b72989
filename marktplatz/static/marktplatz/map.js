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
  const map = window.L.map(element, { scrollWheelZoom: false });
  window.L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution,
  }).addTo(map);
  const bounds = [];
  for (const point of points) {
    const marker = window.L.marker([point.lat, point.lon], { title: point.name, alt: point.name });
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
