// Cockpit hotkeys, click-on-chart-to-take-price and drag-an-order-line. They hand the result
// to Dash (set_props, a clientside callback), so every action still runs through the server
// callbacks.
(function () {
  "use strict";
  const HOTKEYS = new Set([" ", "ArrowRight", ".", "n", "N", "b", "s", "B", "S", "f", "x",
    "m", "M", "r", "R", "+", "=", "-",
    "u", "d", "l"]);  // u / d: market buy / sell; l: ladder preview, then place
  let count = 0;

  // Only text boxes keep their keys: a focused button, menu or checkbox does not stop them.
  const TEXT_TYPES = new Set(["text", "number", "search", "email", "password", "tel", "url",
    "date", "time", "datetime-local"]);
  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    if (tag === "INPUT") return TEXT_TYPES.has((el.type || "text").toLowerCase());
    return tag === "TEXTAREA" || el.isContentEditable;
  }

  // Caps Lock must not change a hotkey: a letter is lower case unless Shift is held.
  function keyOf(ev) {
    const k = ev.key;
    if (k.length !== 1 || k.toLowerCase() === k.toUpperCase()) return k;
    return ev.shiftKey ? k.toUpperCase() : k.toLowerCase();
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    const key = keyOf(ev);
    if (!HOTKEYS.has(key) || !document.getElementById("chart")) return;
    if (document.querySelector(".modal.show")) return;  // a question is open: answer it first
    if (!window.dash_clientside || !window.dash_clientside.set_props) return;
    ev.preventDefault();
    if (ev.target && ev.target.blur && ev.target !== document.body) ev.target.blur();
    count += 1;
    window.dash_clientside.set_props("hotkey", { data: { key: key, n: count } });
  }, true);

  // A click inside the plot area puts that price (rounded to the 0.01 tick) in the ticket.
  // Only a click: the mouse-up of a pan, a box zoom or a line drag is a "click" to the
  // browser too (down and up on the same element), so a pointer that moved is no click.
  const CLICK_SLOP_PX = 4;
  let down = null;
  document.addEventListener("mousedown", function (ev) {
    down = { x: ev.clientX, y: ev.clientY };
  }, true);
  document.addEventListener("click", function (ev) {
    const moved = !down || Math.abs(ev.clientX - down.x) > CLICK_SLOP_PX ||
      Math.abs(ev.clientY - down.y) > CLICK_SLOP_PX;
    down = null;
    if (moved) return;
    const graph = ev.target.closest && ev.target.closest("#chart .js-plotly-plot");
    if (!graph || !graph._fullLayout || !graph._fullLayout.yaxis) return;
    const ya = graph._fullLayout.yaxis;
    const rect = graph.getBoundingClientRect();
    const py = ev.clientY - rect.top - ya._offset;
    if (py < 0 || py > ya._length) return;
    const price = Math.round(ya.p2l(py) * 100) / 100;
    if (!isFinite(price) || !window.dash_clientside || !window.dash_clientside.set_props) return;
    // with the tick's decimals: 542.60, not 542.6
    window.dash_clientside.set_props("order-price", { value: price.toFixed(2) });
  }, true);

  // Order lines are dragged to a new price: the graph's config lets the trader move shapes,
  // and this keeps still the ones that are not editable (the average price): the first time
  // the pointer enters their drag handle, the handle lets the mouse through to the chart.
  document.addEventListener("mouseover", function (ev) {
    const handle = ev.target.closest && ev.target.closest("#chart g[drag-helper]");
    const graph = handle && handle.closest(".js-plotly-plot");
    if (!graph) return;
    const shapes = (graph.layout && graph.layout.shapes) || [];
    const shape = shapes[Number(handle.getAttribute("data-index"))];
    if (!shape || shape.editable !== true) handle.style.pointerEvents = "none";
  }, true);

  // The drop of a shape goes to the server (the "order-drag" store); pans and zooms do not.
  let drops = 0;
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ntree: {
      orderDrop: function (relayout) {
        const moved = relayout && Object.keys(relayout).some(function (k) {
          return /^shapes\[\d+\]\.y[01]$/.test(k);
        });
        if (!moved) return window.dash_clientside.no_update;
        drops += 1;
        // Dash passes on a prop only when it changes: a second drop at the same price (after the
        // question was answered "Cancel", or a refused move snapped back) would report the
        // same relayout and be lost. A marker no view reads takes its place once it is taken.
        const marker = { "ntree.drop": drops };
        setTimeout(function () {
          window.dash_clientside.set_props("chart", { relayoutData: marker });
        }, 0);
        return { rl: relayout, n: drops };
      },
    },
  });

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
