// The live page of a solve run: reads the run's Server-Sent Events and draws objective and
// bound of the current stage with uPlot. The status panel refreshes itself (HTMX); on the
// `done` event it is refreshed once more at once.
(() => {
  const UPLOT = "/static/vendor/uplot/uPlot.iife.min.js";

  function withUPlot(callback) {
    if (window.uPlot) { callback(); return; }
    const script = document.createElement("script");
    script.src = UPLOT;
    script.onload = callback;
    document.head.appendChild(script);
  }

  function start(box) {
    box.dataset.started = "1";
    const stages = JSON.parse(box.dataset.stages || "{}");
    let stage = null;
    let data = [[], [], []];
    let chart = null;
    let drawn = null;

    function draw() {
      const width = Math.max(280, box.clientWidth || 600);
      if (chart) chart.destroy();
      drawn = stage;
      chart = new uPlot({
        title: stages[stage] || stage || "",
        width,
        height: 280,
        scales: { x: { time: false } },
        axes: [{ label: "segundos" }, {}],
        series: [
          { label: "Segundos" },
          { label: "Valor hallado", stroke: "#0b5cad", width: 2 },
          { label: "Cota demostrada", stroke: "#b3261e", width: 2, dash: [6, 4] },
        ],
      }, data, box);
    }

    const source = new EventSource(box.dataset.events);
    source.addEventListener("progress", (event) => {
      const point = JSON.parse(event.data);
      if (point.stage !== stage) { stage = point.stage; data = [[], [], []]; }
      data[0].push(point.seconds);
      data[1].push(point.objective);
      data[2].push(point.bound);
      if (chart && drawn === stage) {
        chart.setData(data);
      } else {
        draw();
      }
    });
    source.addEventListener("done", () => {
      source.close();
      box.dataset.done = "1";
      const panel = document.getElementById("run-status");
      if (panel && window.htmx) {
        htmx.ajax("GET", box.dataset.status, { target: "#run-status", swap: "outerHTML" });
      }
    });
    source.onerror = () => { if (box.dataset.done) source.close(); };
    // a boosted navigation away from the page closes the stream
    document.body.addEventListener("htmx:beforeSwap", function close(event) {
      if (event.detail.target && event.detail.target.id === "main") {
        source.close();
        document.body.removeEventListener("htmx:beforeSwap", close);
      }
    });
  }

  withUPlot(() => {
    document.querySelectorAll("[data-run-live]:not([data-started])").forEach(start);
  });
})();
