/* String Hashr page: the frequency box, the live hash list, counters and the rate chart. */
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
  var chart = new Chart($("rate-chart"), {
    type: "line",
    data: {
      labels: [],
      datasets: [
        { label: "primary", data: [], borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,0.15)", fill: true, tension: 0.25, pointRadius: 0 },
        { label: "burst", data: [], borderColor: "#fd7e14", backgroundColor: "rgba(253,126,20,0.15)", fill: true, tension: 0.25, pointRadius: 0 },
        { label: "errors", data: [], borderColor: "#dc3545", borderDash: [4, 4], fill: false, tension: 0.25, pointRadius: 0 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, title: { display: true, text: "per second" } } },
    },
  });

  // --- counters and chart from the periodic stats
  var previous = null;
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
      chart.data.labels.push(new Date(s.time).toLocaleTimeString());
      chart.data.datasets[0].data.push(rate(s.hashes.primary, previous.hashes.primary));
      chart.data.datasets[1].data.push(rate(s.hashes.burst, previous.hashes.burst));
      chart.data.datasets[2].data.push(rate(s.errors, previous.errors));
      if (chart.data.labels.length > CHART_POINTS) {
        chart.data.labels.shift();
        chart.data.datasets.forEach(function (d) {
          d.data.shift();
        });
      }
      chart.update("none");
    }
    previous = s;
  });
})();
