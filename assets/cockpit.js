// Cockpit hotkeys and click-on-chart-to-take-price. Both hand the result to Dash with
// dash_clientside.set_props, so every action still runs through the server callbacks.
(function () {
  "use strict";
  const HOTKEYS = new Set([" ", "ArrowRight", ".", "n", "N", "b", "s", "B", "S", "f", "x"]);
  let count = 0;

  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    if (!HOTKEYS.has(ev.key) || !document.getElementById("chart")) return;
    if (!window.dash_clientside || !window.dash_clientside.set_props) return;
    ev.preventDefault();
    count += 1;
    window.dash_clientside.set_props("hotkey", { data: { key: ev.key, n: count } });
  });

  // A click inside the plot area puts that price (rounded to the 0.01 tick) in the ticket.
  document.addEventListener("click", function (ev) {
    const graph = ev.target.closest && ev.target.closest("#chart .js-plotly-plot");
    if (!graph || !graph._fullLayout || !graph._fullLayout.yaxis) return;
    const ya = graph._fullLayout.yaxis;
    const rect = graph.getBoundingClientRect();
    const py = ev.clientY - rect.top - ya._offset;
    if (py < 0 || py > ya._length) return;
    const price = Math.round(ya.p2l(py) * 100) / 100;
    if (!isFinite(price) || !window.dash_clientside || !window.dash_clientside.set_props) return;
    window.dash_clientside.set_props("order-price", { value: price });
  }, true);

  // A double-click on the chart is the "Live" button: back to the latest candle, following.
  // (plotly's own double-click reset is off: it would jump to the first figure's range.)
  let live = 0;
  document.addEventListener("dblclick", function (ev) {
    if (!(ev.target.closest && ev.target.closest("#chart .js-plotly-plot"))) return;
    if (!window.dash_clientside || !window.dash_clientside.set_props) return;
    live += 1;
    window.dash_clientside.set_props("chart-live", { n_clicks: 1000000 + live });
  });
})();
