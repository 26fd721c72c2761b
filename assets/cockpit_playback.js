// Cockpit playback helpers (the chart's context, failures): clientside parts that only hand
// results to Dash, so every action still runs through the server callbacks.
(function () {
  "use strict";
  const EDGE_CANDLES = 8; // a pan this close to the figure's first candle loads older ones
  let more = 0;

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ntree_playback: {
      moreHistory: function (relayout) {
        const x0 = relayout && (relayout["xaxis.range[0]"] !== undefined
          ? relayout["xaxis.range[0]"] : (relayout["xaxis.range"] || [])[0]);
        if (typeof x0 !== "number" || x0 > EDGE_CANDLES) return window.dash_clientside.no_update;
        more += 1;
        return { n: more, x0: x0 };
      },
    },
  });
})();
