/** The report's only stylesheet, inlined into the page (no external CSS or fonts). */
export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2433}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 8px;padding-top:6px;border-top:1px solid #e3e6ec}
table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #e3e6ec;text-align:right}th{background:#f5f6f8}
td:first-child,th:first-child{text-align:left}code{font-size:13px;overflow-wrap:break-word}.nw{white-space:nowrap}
.meta{color:#5b6475}.pass{color:#137333}.fail{color:#c5221f}.badge{padding:2px 8px;border-radius:10px;color:#fff}
.b-passed{background:#137333}.b-failed{background:#c5221f}.b-invalid{background:#5f6368}.b-interrupted{background:#b06000}.b-errored{background:#7b1fa2}
.warn{border-left:4px solid #b06000;background:#fef7e0;padding:8px 12px}
.chart{margin:10px 0 18px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}
svg{display:block}svg text{font:12px system-ui,sans-serif;fill:#5b6475}svg .t{font-size:14px;font-weight:600;fill:#1d2433}
svg .n{font-size:11px}svg .at{font-size:12px;fill:#3c4352}svg .g{stroke:#e3e6ec}svg .a{stroke:#9aa0a6}
`;

/** Only in reports of runs with faults, so the others say nothing about faults. */
export const FAULT_STYLE = `svg .fault-label{fill:#c5221f;font-weight:600}.never{color:#c5221f;font-weight:600}
`;
