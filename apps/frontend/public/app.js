/* String Hashr page: the frequency box, the routing panel, the live hash list, counters and the rate chart (with the weight changes marked). */
(function () {
  "use strict";

  var MAX_ITEMS = 100; // hashes kept in the list
  var CHART_POINTS = 60; // seconds of history in the chart

  var burstPrefix = "bursty-";
  var socket = io();
  var $ = function (id) {
    return document.getElementById(id);
  };

  // --- connection state
  var connection = $("connection");
  socket.on("connect", function () {
    connection.className = "navbar-text small connected";
    connection.innerHTML = '<span class="status-dot"></span> live';
  });
  socket.on("disconnect", function () {
    connection.className = "navbar-text small";
    connection.innerHTML = '<span class="status-dot"></span> reconnecting…';
  });
  socket.on("config", function (cfg) {
    burstPrefix = cfg.burstPrefix;
    $("freq").max = cfg.maxFreq;
    $("freq-max").textContent = cfg.maxFreq;
  });

  // --- frequency box
  var form = $("freq-form");
  var input = $("freq");
  function showError(message) {
    input.classList.add("is-invalid");
    $("freq-error").textContent = message;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    var freq = text === "" ? NaN : Number(text);
    if (!isFinite(freq)) {
      showError("Enter a number of requests per second (0 stops).");
      return;
    }
    socket.timeout(5000).emit("frequency", { freq: freq }, function (err, result) {
      if (err) return showError("No answer from the server.");
      if (result.error) return showError(result.error);
      input.classList.remove("is-invalid");
      $("freq-current").textContent = result.freq;
    });
  });
  socket.on("frequency", function (result) {
    $("freq-current").textContent = result.freq;
  });

  // --- hash list: rendered at most once per frame, newest first
  var list = $("hashes");
  var pending = [];
  var scheduled = false;
  function isBurst(hash) {
    return hash.lastIndexOf(burstPrefix, 0) === 0;
  }
  function render() {
    scheduled = false;
    var items = pending.slice(-MAX_ITEMS);
    pending = [];
    var fragment = document.createDocumentFragment();
    for (var i = items.length - 1; i >= 0; i--) {
      var hash = items[i];
      var burst = isBurst(hash);
      var li = document.createElement("li");
      li.className = "list-group-item hash-item " + (burst ? "hash-burst" : "hash-primary");
      li.dataset.pool = burst ? "burst" : "primary";
      var badge = document.createElement("span");
      badge.className = "badge " + (burst ? "text-bg-warning" : "text-bg-primary");
      badge.textContent = burst ? "burst" : "primary";
      var code = document.createElement("span");
      code.textContent = hash;
      li.appendChild(badge);
      li.appendChild(code);
      fragment.appendChild(li);
    }
    list.insertBefore(fragment, list.firstChild);
    while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
  }
  function addHashes(hashes) {
    for (var i = 0; i < hashes.length; i++) pending.push(hashes[i]);
    if (pending.length > MAX_ITEMS) pending = pending.slice(-MAX_ITEMS);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  }
  socket.on("calculation", function (hash) {
    addHashes([hash]);
  });
  socket.on("calculations", function (batch) {
    addHashes(batch.hashes);
  });

  // --- chart: hashes per second from the difference of consecutive stats
  var times = []; // the time (ms) of each chart point
  var markers = []; // weight changes to mark: {key, time, label, color}
  function pixelAt(scale, t) {
    var n = times.length;
    if (n === 0 || t < times[0]) return null;
    if (t >= times[n - 1]) return scale.getPixelForValue(n - 1);
    for (var i = 0; i < n - 1; i++) {
      if (t < times[i + 1]) {
        var a = scale.getPixelForValue(i);
        var b = scale.getPixelForValue(i + 1);
        return a + ((t - times[i]) / (times[i + 1] - times[i])) * (b - a);
      }
    }
    return null;
  }
  // Draws a dashed vertical line, with a label, at each weight change inside the chart's time span.
  var weightChangeMarkers = {
    id: "weightChanges",
    afterDatasetsDraw: function (c) {
      var area = c.chartArea;
      var ctx = c.ctx;
      var row = 0;
      markers.forEach(function (m) {
        var x = pixelAt(c.scales.x, m.time);
        if (x === null) return;
        ctx.save();
        ctx.strokeStyle = m.color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = "600 11px system-ui, -apple-system, 'Segoe UI', sans-serif";
        var right = x > area.right - 90;
        ctx.textAlign = right ? "right" : "left";
        ctx.fillStyle = m.color;
        ctx.fillText(m.label, x + (right ? -4 : 4), area.top + 12 + 13 * (row++ % 2));
        ctx.restore();
      });
    },
  };
  var chart = new Chart($("rate-chart"), {
    type: "line",
    data: {
      labels: [],
      datasets: [
        { label: "primary", data: [], borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,0.15)", fill: true, tension: 0.25, pointRadius: 0 },
        { label: "burst", data: [], borderColor: "#fd7e14", backgroundColor: "rgba(253,126,20,0.15)", fill: true, tension: 0.25, pointRadius: 0 },
        { label: "errors", data: [], borderColor: "#dc3545", borderDash: [4, 4], fill: false, tension: 0.25, pointRadius: 0 },
        // the burst pool's ready replicas (when the watcher scales it), on the right axis
        { label: "burst replicas ready", data: [], yAxisID: "replicas", borderColor: "#6f42c1", backgroundColor: "#6f42c1", stepped: true, fill: false, pointRadius: 0, borderWidth: 2, hidden: true },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, title: { display: true, text: "per second" } },
        replicas: { position: "right", display: false, beginAtZero: true, suggestedMax: 2, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: "burst replicas ready" } },
      },
    },
    plugins: [weightChangeMarkers],
  });
  chart.$weightChanges = markers; // read by tests

  // --- counters and chart from the periodic stats
  var previous = null;
  var pool = null; // the burst pool as the last routing report had it (null: the watcher does not scale it)
  function fmt(n) {
    return Math.round(n).toLocaleString();
  }
  socket.on("stats", function (s) {
    $("count-primary").textContent = fmt(s.hashes.primary);
    $("count-burst").textContent = fmt(s.hashes.burst);
    $("count-sent").textContent = fmt(s.sent);
    $("count-errors").textContent = fmt(s.errors);
    $("count-dropped").textContent = fmt(s.dropped);
    $("rate-primary").textContent = s.rate.primary.toFixed(1);
    $("rate-burst").textContent = s.rate.burst.toFixed(1);
    $("rate-sent").textContent = s.rate.sent.toFixed(1);
    $("rate-errors").textContent = s.rate.errors.toFixed(1);
    var total = s.rate.primary + s.rate.burst;
    $("burst-share").textContent = total > 0 ? Math.round((100 * s.rate.burst) / total) + " %" : "–";
    $("freq-current").textContent = s.freq;

    if (previous && s.time > previous.time) {
      var dt = (s.time - previous.time) / 1000;
      var rate = function (now, before) {
        return Math.max(0, (now - before) / dt);
      };
      times.push(s.time);
      chart.data.labels.push(new Date(s.time).toLocaleTimeString());
      chart.data.datasets[0].data.push(rate(s.hashes.primary, previous.hashes.primary));
      chart.data.datasets[1].data.push(rate(s.hashes.burst, previous.hashes.burst));
      chart.data.datasets[2].data.push(rate(s.errors, previous.errors));
      chart.data.datasets[3].data.push(pool ? pool.ready : null);
      if (chart.data.labels.length > CHART_POINTS) {
        times.shift();
        for (var m = markers.length - 1; m >= 0; m--) if (markers[m].time < times[0]) markers.splice(m, 1);
        chart.data.labels.shift();
        chart.data.datasets.forEach(function (d) {
          d.data.shift();
        });
      }
      chart.update("none");
    }
    previous = s;
  });

  // --- routing panel: what the watcher chose (socket.io `routing`, the same object as GET /api/routing)
  var COLORS = { primary: "#0d6efd", burst: "#fd7e14", fallback: "#dc3545" };
  var MAX_CHANGES = 5; // changes listed in the panel, newest first
  var panel = $("routing");
  var marked = {}; // changes already marked on the chart, by seq and time

  function clock(iso) {
    var t = new Date(iso);
    return isNaN(t.getTime()) ? String(iso) : t.toLocaleTimeString();
  }
  function num(n) {
    return Math.round(n * 10) / 10;
  }
  function setText(id, text) {
    $(id).textContent = text;
  }
  function setPhase(text, cls) {
    var badge = $("routing-phase");
    badge.className = "badge " + cls;
    badge.textContent = text;
  }
  function showMessage(text, cls) {
    var box = $("routing-message");
    box.hidden = !text;
    box.className = "routing-message small alert py-2 px-3 " + (cls || "");
    box.textContent = text || "";
  }
  /** The weights, rate and changes: hidden while routing is not configured. */
  function showDetails(shown) {
    ["routing-body", "routing-changes-header", "routing-changes"].forEach(function (id) {
      $(id).hidden = !shown;
    });
  }
  function setWeights(w) {
    setText("weight-primary", w ? w.primary : "–");
    setText("weight-burst", w ? w.burst : "–");
    var p = w ? w.primary : 50;
    var b = w ? w.burst : 50;
    [
      ["weight-bar-primary", p],
      ["weight-bar-burst", b],
    ].forEach(function (bar) {
      var el = $(bar[0]);
      el.style.width = bar[1] + "%";
      el.classList.toggle("weight-empty", bar[1] === 0); // no sliver of colour at 0 %
      el.setAttribute("aria-valuenow", bar[1]);
    });
  }
  function markerFor(c) {
    if (c.action === "health-fallback") return { label: "fallback: primary " + c.to.primary + "%", color: COLORS.fallback };
    if (c.to.burst > c.from.burst) return { label: "burst " + c.to.burst + "%", color: COLORS.burst };
    return { label: "primary " + c.to.primary + "%", color: COLORS.primary };
  }
  function markChanges(changes) {
    var added = false;
    changes.forEach(function (c) {
      var key = c.seq + "@" + c.at;
      if (marked[key]) return;
      marked[key] = true;
      var time = new Date(c.at).getTime();
      if (isNaN(time) || (times.length > 0 && time < times[0])) return;
      var m = markerFor(c);
      markers.push({ key: key, seq: c.seq, at: c.at, time: time, label: m.label + (c.dryRun ? " (dry run)" : ""), color: m.color });
      added = true;
    });
    if (added) chart.update("none");
  }
  function renderThresholds(r) {
    var t = r.thresholds;
    var observed = r.observed && r.observed.kind === "value" ? r.observed.rps : null;
    var low = $("rate-mark-low");
    var high = $("rate-mark-high");
    var top = r.mode === "overflow" ? t.primaryCapacityRps : t.highRps;
    var scale = Math.max(top * 1.5, (observed || 0) * 1.1, 1);
    var pct = function (v) {
      return Math.min(100, Math.max(0, (100 * v) / scale)) + "%";
    };
    if (r.mode === "overflow") {
      setText("routing-thresholds", "primary keeps up to " + num(t.primaryCapacityRps) + " req/s; the excess goes to burst in steps of " + t.stepWeight + " %, at most " + t.maxBurstWeight + " %");
      low.hidden = true;
      high.style.left = pct(t.primaryCapacityRps);
      high.title = "primary capacity " + num(t.primaryCapacityRps) + " req/s";
    } else {
      setText("routing-thresholds", "to burst above " + num(t.highRps) + " req/s, back below " + num(t.lowRps) + " req/s");
      low.hidden = false;
      low.style.left = pct(t.lowRps);
      low.title = "LOW_RPS " + num(t.lowRps);
      high.style.left = pct(t.highRps);
      high.title = "HIGH_RPS " + num(t.highRps);
    }
    var fill = $("rate-fill");
    fill.style.width = observed === null ? "0%" : pct(observed);
    fill.className = "rate-fill " + (observed !== null && observed > top ? "rate-over" : observed !== null && r.mode !== "overflow" && observed < t.lowRps ? "rate-under" : "rate-between");
    if (observed !== null) setText("routing-rate", num(observed).toFixed(1));
    else if (r.observed && r.observed.kind === "nodata") setText("routing-rate", "no data (" + r.observed.reason + ")");
    else if (r.observed && r.observed.kind === "error") setText("routing-rate", "query failed");
    else setText("routing-rate", "–");
    $("routing-rate-unit").hidden = observed === null;
    // the watcher bursts on a short, recent view of the rate and comes back on the long one
    var fast = r.observed && r.observed.kind === "value" && typeof r.observed.upRps === "number" ? r.observed.upRps : null;
    setText("routing-rate-fast", fast === null ? "" : "(recent " + num(fast).toFixed(1) + ")");
  }
  function renderChanges(r) {
    var list = $("routing-changes");
    var recent = r.recentChanges.slice(-MAX_CHANGES).reverse();
    setText("routing-change-count", r.changes > 0 ? r.changes + " since the watcher started" : "");
    list.textContent = "";
    if (recent.length === 0) {
      var none = document.createElement("li");
      none.className = "list-group-item small text-body-secondary routing-none";
      none.textContent = "none yet";
      list.appendChild(none);
      return;
    }
    recent.forEach(function (c) {
      var li = document.createElement("li");
      li.className = "list-group-item small routing-change";
      li.dataset.seq = c.seq;
      li.dataset.action = c.action;
      var head = document.createElement("div");
      head.className = "d-flex justify-content-between align-items-baseline";
      var what = document.createElement("span");
      var badge = document.createElement("span");
      var m = markerFor(c);
      badge.className = "badge change-action";
      badge.style.backgroundColor = m.color;
      badge.textContent = c.action;
      var weights = document.createElement("span");
      weights.className = "change-weights";
      weights.textContent = " primary " + c.to.primary + " / burst " + c.to.burst;
      what.appendChild(badge);
      what.appendChild(weights);
      if (c.dryRun) {
        var dry = document.createElement("span");
        dry.className = "badge text-bg-info ms-1 change-dry-run";
        dry.textContent = "dry run";
        what.appendChild(dry);
      }
      var when = document.createElement("small");
      when.className = "text-body-secondary text-nowrap ms-2";
      when.textContent = clock(c.at);
      head.appendChild(what);
      head.appendChild(when);
      var reason = document.createElement("div");
      reason.className = "change-reason text-body-secondary";
      reason.textContent = c.reason;
      li.appendChild(head);
      li.appendChild(reason);
      list.appendChild(li);
    });
  }
  function renderRouting(r) {
    panel.dataset.watcher = r.watcher;
    if (r.watcher === "not-configured") {
      panel.dataset.phase = "";
      setPhase("not configured", "text-bg-secondary");
      showMessage("Routing is not configured: " + r.error + ", so the frontend cannot ask the watcher.", "alert-secondary mb-0");
      showDetails(false);
      return;
    }
    showDetails(true);
    if (r.watcher === "unreachable") {
      panel.classList.add("routing-stale");
      setPhase("unreachable", "text-bg-danger");
      showMessage("Watcher unreachable: " + r.error + (r.lastSeenAt ? ". Last answer at " + clock(r.lastSeenAt) + "; the values below are from then." : ".") + " Hashes keep flowing.", "alert-warning mb-3");
      return;
    }
    panel.classList.remove("routing-stale");
    panel.dataset.phase = r.phase || "";
    $("routing-dry-run").hidden = !r.dryRun;
    if (!r.ready || !r.weights) {
      setPhase("starting", "text-bg-secondary");
      showMessage("The watcher has not read the weights yet.", "alert-secondary mb-3");
    } else {
      setPhase(r.phase === "burst" ? "bursting" : "natural", r.phase === "burst" ? "text-bg-warning" : "text-bg-primary");
      showMessage("");
    }
    setText("routing-mode", r.mode + " mode");
    setWeights(r.weights);
    renderThresholds(r);
    renderBurstPool(r.burstPool);
    renderCost(r.cost);
    var d = r.lastDecision;
    var decision = $("routing-decision");
    decision.textContent = "";
    if (d) {
      var label = document.createElement("strong");
      label.textContent = d.action + ": ";
      decision.appendChild(label);
      decision.appendChild(document.createTextNode(d.reason));
    }
    renderChanges(r);
    markChanges(r.recentChanges);
  }
  /** Money as the panel writes it: 4 decimals below 1, else 2, and the currency. */
  function money(n, currency) {
    return (n < 1 ? n.toFixed(4) : n.toFixed(2)) + " " + currency;
  }
  /** "burst cost: 0.0123 USD (181 replica-s since 10:00:06); always on: 0.0456 USD", when the watcher reports it; hidden otherwise. */
  function renderCost(cost) {
    var box = $("burst-cost");
    if (!cost || typeof cost.burstCost !== "number" || typeof cost.alwaysOnCost !== "number") {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    setText("burst-cost-spent", money(cost.burstCost, cost.currency));
    setText("burst-cost-always-on", money(cost.alwaysOnCost, cost.currency));
    setText("burst-cost-replica-seconds", fmt(cost.burstReplicaSeconds));
    setText("burst-cost-since", clock(cost.since));
  }
  /** "burst pool: 1 of 2 ready", when the watcher scales the burst pool; hidden otherwise. Its ready replicas go on the chart. */
  function renderBurstPool(reported) {
    var box = $("burst-pool");
    var known = !!reported && typeof reported.ready === "number" && typeof reported.desired === "number";
    pool = known ? reported : null;
    chart.options.scales.replicas.display = known;
    chart.data.datasets[3].hidden = !known;
    if (!known) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.dataset.ready = String(pool.ready);
    box.dataset.desired = String(pool.desired);
    setText("burst-pool-text", pool.ready + " of " + pool.desired + " ready");
    box.classList.toggle("text-warning", pool.ready < pool.desired);
  }

  socket.on("routing", renderRouting);
})();
