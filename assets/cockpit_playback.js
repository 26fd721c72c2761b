// Cockpit playback helpers (the chart's context, failures): clientside parts that only hand
// results to Dash, so every action still runs through the server callbacks.
(function () {
  "use strict";
  const EDGE_CANDLES = 8; // a pan this close to the figure's first candle loads older ones
  let more = 0;

  // Failures: every page callback goes through fetch. One that cannot reach the server, or
  // that the server answers with a 5xx, raises the banner and stops playback (the ticker);
  // the first answer after that (the health check polls every few seconds) clears it and
  // tells the server (the "server-back" store), which pauses the session and redraws.
  const PLAIN = {
    storage_full: "The database's disk is full: nothing more can be saved.",
    read_only: "The database is read-only: nothing can be saved.",
    database_corrupt: "The database file is corrupt: sessions cannot be read or saved.",
  };
  let down = false;
  let back = 0;

  function setProps(id, props) {
    // only on the cockpit (stores, intervals and a closed alert have no element of their own)
    if (!document.getElementById("chart") || !window.dash_clientside ||
        !window.dash_clientside.set_props) return;
    window.dash_clientside.set_props(id, props);
  }

  function fail(text) {
    down = true;
    setProps("server-banner", {
      children: text + " Playback paused; this page reconnects by itself.", is_open: true,
    });
    setProps("ticker", { disabled: true });
    setProps("play", { children: "▶ Play" });
  }

  function failed(status, body) {
    if (status === 0) return fail("The server is not answering.");
    const err = body && (body.error || body); // the API's {"error": {code, message}}
    const code = err && err.code;
    const plain = (code && PLAIN[code]) || (err && (err.plain || err.message));
    fail(plain ? "Server fault (" + (code || status) + "): " + plain
      : "A command failed on the server (HTTP " + status + ").");
  }

  function answered() {
    if (!down) return;
    down = false;
    back += 1;
    setProps("server-banner", { is_open: false });
    setProps("server-back", { data: { n: back } });
  }

  const fetch0 = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    const call = fetch0(input, init);
    if (url.indexOf("_dash-update-component") < 0) return call;
    return call.then(function (resp) {
      if (resp.status >= 500) {
        resp.clone().json().then(function (b) { failed(resp.status, b); },
          function () { failed(resp.status, null); });
      } else if (resp.ok || resp.status === 204) {
        answered();
      }
      return resp;
    }, function (err) {
      failed(0, null);
      throw err;
    });
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ntree_playback: {
      moreHistory: function (relayout) {
        const pair = relayout && (relayout["xaxis.range[0]"] !== undefined
          ? [relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]] : relayout["xaxis.range"]);
        const x0 = pair && pair[0];
        if (typeof x0 !== "number" || x0 > EDGE_CANDLES) return window.dash_clientside.no_update;
        more += 1;
        return { n: more, xr: [x0, pair[1]] }; // the view it asks for, to keep in place
      },
    },
  });
})();
