// The console's only static files, as strings: Workers have no file system, and nothing is
// loaded from elsewhere. Colours are chosen for at least 4.5:1 contrast on their backgrounds;
// lights carry a word as well as a colour.

export const consoleCss = `
:root { --ink: #1b1b1b; --muted: #4a4a4a; --line: #c9c9c9; --paper: #ffffff; --band: #f2f4f7;
  --link: #0b4fb3; --brand: #0e3a66; --focus: #ffbf47; --ok: #1e6b2f; --ok-bg: #e6f4ea;
  --warn: #6b4500; --warn-bg: #fff4ce; --bad: #a4161a; --bad-bg: #fde7e9; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: var(--paper); line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
a { color: var(--link); text-underline-offset: 2px; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--ink); outline-offset: 2px; box-shadow: 0 0 0 6px var(--focus); }
.skip { position: absolute; left: -999px; top: 0; background: var(--focus); color: var(--ink); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: 0; }
.top { background: var(--brand); color: #fff; padding: .5rem 1.5rem; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; }
.top a, .top .brand { color: #fff; }
.brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; margin-right: 1rem; }
.top nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
.top nav a { text-decoration: none; padding: .25rem .1rem; border-bottom: 3px solid transparent; }
.top nav a[aria-current="page"] { border-bottom-color: #fff; font-weight: 700; }
.top nav a:hover { border-bottom-color: #9cc3f5; }
.who { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; font-size: .9rem; }
.who form { margin: 0; }
.who button { background: transparent; color: #fff; border: 1px solid #fff; padding: .2rem .7rem; font: inherit; cursor: pointer; border-radius: 3px; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
footer { color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding: 1rem 1.5rem; text-align: center; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .95rem; }
caption { text-align: left; font-weight: 700; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .6rem; text-align: left; vertical-align: top; }
thead th { background: var(--band); border-bottom: 2px solid var(--muted); }
tbody th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .35rem 1.25rem; margin: .5rem 0 1rem; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
form.stack { display: grid; gap: .9rem; max-width: 52rem; }
form.stack + form.stack { margin-top: 2rem; padding-top: 1.25rem; border-top: 1px solid var(--line); }
form.inline { display: inline; margin: 0; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: flex-end; background: var(--band); padding: .75rem 1rem; border-radius: 4px; }
.filters .field { display: grid; gap: .2rem; }
.field { display: grid; gap: .25rem; }
label, legend { font-weight: 600; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .75rem 1rem; margin: 0; }
fieldset.choices label { font-weight: 400; display: flex; gap: .5rem; align-items: center; }
input[type=text], input[type=password], input[type=number], input[type=date], input[type=datetime-local], input[type=search], select, textarea {
  font: inherit; color: var(--ink); background: #fff; border: 2px solid var(--muted); border-radius: 3px; padding: .35rem .5rem; min-width: 10rem; max-width: 100%; }
textarea { min-height: 5rem; width: 100%; }
input[type=checkbox] { width: 1.15rem; height: 1.15rem; }
.hint { color: var(--muted); font-size: .9rem; margin: 0; }
button, .button { font: inherit; font-weight: 600; padding: .45rem 1.1rem; border-radius: 3px; border: 2px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--brand); }
button.danger { background: var(--bad); border-color: var(--bad); }
.grant-terms { display: grid; grid-template-columns: minmax(12rem, 1fr) minmax(20rem, max-content); gap: .5rem 1rem; align-items: center; }
.grant-terms select { width: 100%; }
.filter-row { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: .5rem; }
.notice { border-left: 6px solid var(--ok); background: var(--ok-bg); padding: .6rem 1rem; margin: 0 0 1rem; }
.error-box { border-left: 6px solid var(--bad); background: var(--bad-bg); padding: .6rem 1rem; margin: 0 0 1rem; }
.error-box ul { margin: .25rem 0 0; }
.light { font-weight: 700; white-space: nowrap; padding: .05rem .45rem; border-radius: 3px; }
.light-green { color: var(--ok); background: var(--ok-bg); }
.light-yellow { color: var(--warn); background: var(--warn-bg); }
.light-red { color: var(--bad); background: var(--bad-bg); }
.verdict-ok { color: var(--ok); font-weight: 700; }
.verdict-bad { color: var(--bad); font-weight: 700; }
.tabs { display: flex; gap: .5rem; list-style: none; padding: 0; margin: 0 0 1rem; border-bottom: 2px solid var(--line); }
.tabs a { display: inline-block; padding: .35rem .9rem; text-decoration: none; border: 2px solid transparent; border-bottom: none; }
.tabs a[aria-current="page"] { border-color: var(--line); background: #fff; font-weight: 700; margin-bottom: -2px; border-bottom: 2px solid #fff; }
.pager { display: flex; gap: 1.5rem; margin: 1rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
.card h2 { margin-top: 0; border: none; font-size: 1.1rem; }
.signin { max-width: 28rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 48rem) { dl.facts, .grant-terms { grid-template-columns: 1fr; } main { padding: 1rem; } }
/* Administration pages (src/console/pages/admin/) */
input[type=url] { font: inherit; color: var(--ink); background: #fff; border: 2px solid var(--muted); border-radius: 3px; padding: .35rem .5rem; min-width: 24rem; max-width: 100%; }
.field-error { color: var(--bad); font-weight: 600; margin: 0; }
[aria-invalid="true"] { border-color: var(--bad) !important; }
.secret-box { border-left: 6px solid var(--warn); background: var(--warn-bg); padding: .6rem 1rem; margin: 0 0 1rem; }
.secret-box p { margin: .25rem 0; }
input.secret-value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; width: 100%; max-width: 40rem; }
.policy-grid td { min-width: 11rem; }
.policy-grid select { min-width: 0; width: 100%; }
.policy-grid .hint { font-size: .8rem; margin-top: .2rem; }
.policy-grid td.cell-invalid { background: var(--bad-bg); }
pre.schema { background: var(--band); border: 1px solid var(--line); border-radius: 4px; padding: .75rem 1rem; overflow: auto; max-height: 40rem; font-size: .85rem; line-height: 1.4; }
.tag { display: inline-block; margin-left: .4rem; padding: 0 .35rem; border: 1px solid var(--brand); border-radius: 3px; color: var(--brand); font-size: .75rem; font-family: system-ui, sans-serif; }
ol.attempts { margin: .25rem 0 0; padding-left: 1.25rem; text-align: left; font-size: .85rem; }
.policy-grid tbody th .hint { display: block; font-weight: 400; }
table.schema-fields td.mono, table.schema-fields th.mono { overflow-wrap: normal; white-space: nowrap; }
/* Objections, ratings and supervision (src/console/pages/objections.tsx, ratings.tsx, supervision.tsx; src/console/charts.tsx) */
.flag { font-weight: 700; white-space: nowrap; padding: .05rem .45rem; border-radius: 3px; }
.flag-disputed { color: var(--warn); background: var(--warn-bg); border: 1px solid var(--warn); }
.prose { white-space: pre-wrap; }
ol.history { margin: .25rem 0 .5rem; padding-left: 1.5rem; }
ol.history li { margin: .2rem 0; }
fieldset.rating { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; }
.filters .checkbox label { font-weight: 400; display: flex; gap: .4rem; align-items: center; }
.table-scroll { overflow-x: auto; margin: .5rem 0 1rem; }
table.figures { font-size: .85rem; margin: 0; }
table.figures th, table.figures td { padding: .35rem .45rem; }
table.figures thead th { vertical-align: bottom; white-space: nowrap; }
table.figures thead th.wrap { white-space: normal; min-width: 6.5rem; }
table.figures tbody th { white-space: nowrap; }
ul.plain { list-style: none; margin: 0; padding: 0; }
.chart-figure { margin: 1rem 0 2rem; }
.chart-figure figcaption h3 { margin: 0 0 .25rem; }
details summary { cursor: pointer; color: var(--link); margin: .25rem 0; }
svg.chart { display: block; width: 100%; max-width: 48rem; height: auto; margin: .5rem 0; }
.chart-label { font-size: 12px; fill: var(--muted); }
.chart-axis { stroke: var(--muted); stroke-width: 1; }
.chart-grid { stroke: var(--line); stroke-width: 1; stroke-dasharray: 2 3; }
.chart-bar-received { fill: #0b4fb3; }
.chart-bar-decided { fill: #1e6b2f; }
.chart-bar-on-time { fill: #0e3a66; }
.chart-bar-late { fill: #a4161a; }
.chart-marker { stroke: var(--warn); stroke-width: 2; stroke-dasharray: 5 4; }
.chart-marker-label { fill: var(--warn); font-weight: 700; }
`

export const consoleIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0e3a66"/><path d="M4 22 Q16 6 28 22" stroke="#fff" stroke-width="3" fill="none"/><path d="M4 22h24M10 22v-5M16 22v-8M22 22v-5" stroke="#fff" stroke-width="2"/></svg>`
