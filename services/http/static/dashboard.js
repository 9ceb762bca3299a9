// The dashboard's charts, from the figures the page carries in #chart-data (a file, not an
// inline script, under the pages' Content-Security-Policy).
const data = JSON.parse(document.getElementById("chart-data").dataset.charts);
const kinds = Object.keys(data.history).filter(k => k !== "months");
Plotly.newPlot("chart-sla", kinds.map(k => ({x: data.history.months, y: data.history[k], name: k, type: "scatter", mode: "lines+markers"})),
  {margin: {t: 10}, yaxis: {range: [0, 100], title: "% met"}}, {displayModeBar: false});
// Plain bars: a stage can be skipped (no acknowledgement, no recours), so not a funnel.
const stages = Object.keys(data.complaint_stages);
Plotly.newPlot("chart-complaints", [{type: "bar", orientation: "h", y: stages.map(s => s.replace("_", " ")),
  x: stages.map(s => data.complaint_stages[s]), text: stages.map(s => data.complaint_stages[s]), textposition: "auto"}],
  {margin: {t: 10, l: 150}, yaxis: {autorange: "reversed"}}, {displayModeBar: false});
Plotly.newPlot("chart-status", [{type: "bar", x: Object.keys(data.by_status), y: Object.values(data.by_status)}],
  {margin: {t: 10}}, {displayModeBar: false});
Plotly.newPlot("chart-contract", [{type: "pie", labels: Object.keys(data.by_contract), values: Object.values(data.by_contract)}],
  {margin: {t: 10}}, {displayModeBar: false});
