// The sora-mock inspector: reads the admin API under /__mock/ about once a second and drives it.
// Every piece of data reaches the DOM as text (textContent / text nodes), never as markup.
"use strict";

(() => {
  const TOKEN_HEADER = "X-Sora-Mock-Admin-Token";
  const TOKEN_STORE = "sora-mock-admin-token";
  const POLL_MS = 1000;
  const SHOWN = 200; // rows of tasks and of the journal kept on the page
  const FINAL = new Set(["succeeded", "failed", "cancelled"]);
  // fault actions after which the request goes on to its usual answer (CONTRACT C)
  const GOES_ON = new Set(["delay", "fail_task", "cancel_task"]);
  const byId = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem(TOKEN_STORE),
    locked: false, // the mock answered 401: wait for a token before polling again
    epoch: 0, // bumped whenever the token changes, so a late 401 for an old token is ignored
    ledgerKeys: [], // full keys typed by the user; the API lists keys masked only
    ledgers: new Map(),
    presets: null,
    reasons: {}, // code -> the sentence that explains a rejection (ui/reasons.json)
    rows: [], // the journal as last read, newest last; the filter picks from it
    faults: [], // the fault rules as last read, to describe the rule a row names
    timer: 0,
    busy: false,
    again: false,
  };

  // -- DOM helpers -------------------------------------------------------------------------

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "fid") el.dataset.fid = value;
      else if (name === "onclick") el.addEventListener("click", value);
      else if (name in el) el[name] = value;
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  const sigs = new WeakMap();

  // Brings `list` in line with `items`, rebuilding only the rows whose data changed, so that
  // focus and open <details> survive a refresh.
  function sync(list, items, keyOf, build) {
    const old = new Map();
    for (const el of list.children) old.set(el.dataset.key, el);
    const seen = new Map();
    let index = 0;
    for (const item of items) {
      const base = keyOf(item);
      const n = seen.get(base) || 0;
      seen.set(base, n + 1);
      const key = `${base}#${n}`;
      const sig = JSON.stringify(item);
      let el = old.get(key);
      old.delete(key);
      if (!el || sigs.get(el) !== sig) {
        const fresh = build(item);
        fresh.dataset.key = key;
        sigs.set(fresh, sig);
        if (el) {
          const focused = el.contains(document.activeElement) && document.activeElement.dataset.fid;
          const opened = [...el.querySelectorAll("details[data-fid]")].map((d) => [
            d.dataset.fid,
            d.open,
          ]);
          el.replaceWith(fresh);
          for (const [fid, open] of opened) {
            const details = fresh.querySelector(`details[data-fid="${fid}"]`);
            if (details) details.open = open;
          }
          if (focused) fresh.querySelector(`[data-fid="${focused}"]`)?.focus();
        }
        el = fresh;
      }
      const at = list.children[index];
      if (at !== el) list.insertBefore(el, at || null);
      index += 1;
    }
    for (const el of old.values()) el.remove();
  }

  function show(el, visible) {
    el.hidden = !visible;
  }

  const num = (value) => (typeof value === "number" ? String(Number(value.toFixed(3))) : "–");
  const seconds = (value) => `${num(value)} s`;
  const text = (value) => (typeof value === "string" ? value : JSON.stringify(value));

  function maskKey(key) {
    return key.length <= 4 ? "*".repeat(key.length) : "*".repeat(key.length - 4) + key.slice(-4);
  }

  function setStatus(message) {
    byId("status").textContent = message;
  }

  function setError(message) {
    const box = byId("error");
    box.textContent = message || "";
    show(box, Boolean(message));
  }

  // -- the admin API -----------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.token !== null) headers[TOKEN_HEADER] = state.token;
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    // relative to the page at /__mock/ui, so "clock" is /__mock/clock
    const sent = state.token;
    const epoch = state.epoch;
    const response = await fetch(new URL(path, document.baseURI), init);
    const data = await response.json().catch(() => null);
    if (response.status === 401 && epoch === state.epoch && !state.locked) {
      lock(sent === null ? "" : "The admin token was refused; enter it again.");
    }
    if (!response.ok) {
      const message =
        data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return data;
  }

  const quote = encodeURIComponent;

  // -- the admin token ---------------------------------------------------------------------

  const refused = (err) => err instanceof ApiError && err.status === 401; // lock() has answered

  function lock(message) {
    state.epoch += 1;
    state.token = null;
    state.locked = true;
    sessionStorage.removeItem(TOKEN_STORE);
    clearTimeout(state.timer);
    show(byId("panels"), false);
    show(byId("forget-token"), false);
    show(byId("login"), true);
    setError(message);
    byId("done").textContent = "";
    setStatus("Waiting for the admin token.");
    byId("token-input").focus();
  }

  function unlock(token) {
    state.epoch += 1;
    state.token = token;
    state.locked = false;
    sessionStorage.setItem(TOKEN_STORE, token);
    byId("token-input").value = "";
    show(byId("login"), false);
    setError("");
    refresh();
  }

  // -- rendering ---------------------------------------------------------------------------

  function renderClock(clock) {
    byId("clock-now").textContent = seconds(clock.now);
    const speed = clock.mode === "real" && clock.speed !== 1 ? ` ×${clock.speed}` : "";
    byId("clock-mode").textContent = `${clock.mode}${speed}`;
  }

  function renderAccounts(accounts) {
    show(byId("accounts-empty"), accounts.length === 0);
    sync(
      byId("accounts"),
      accounts,
      (a) => a.key,
      (a) =>
        h(
          "tr",
          {},
          h("td", {}, h("code", {}, a.key), a.vip ? h("span", { class: "badge vip" }, "VIP") : null),
          h("td", { class: "num balance" }, String(a.balance)),
        ),
    );
  }

  function ledgerTable(key, ledger) {
    const transactions = ledger.transactions;
    const hide = () => {
      state.ledgerKeys = state.ledgerKeys.filter((k) => k !== key);
      refresh();
    };
    const rows = transactions.length
      ? transactions.map((t) =>
          h(
            "tr",
            {},
            h("td", {}, h("code", {}, t.trans_no)),
            h("td", {}, t.reason),
            h(
              "td",
              { class: `num ${t.delta < 0 ? "minus" : "plus"}` },
              t.delta > 0 ? `+${t.delta}` : String(t.delta),
            ),
            h("td", { class: "num" }, String(t.balance_after)),
            h("td", {}, t.taskId ? h("code", { title: t.taskId }, t.taskId.slice(0, 8)) : "–"),
            h("td", { class: "num" }, seconds(t.time)),
          ),
        )
      : [h("tr", {}, h("td", { colSpan: 6, class: "empty" }, "No transactions yet."))];
    const folded = ledger.folded
      ? h(
          "p",
          { class: "hint folded" },
          `${ledger.folded} older transactions folded into the opening balance `,
          h("span", { class: "num" }, String(ledger.opening_balance)),
          ".",
        )
      : null;
    return h(
      "section",
      { class: "ledger", "aria-label": `Ledger of ${maskKey(key)}` },
      h(
        "div",
        { class: "panel-head" },
        h("h3", {}, "Ledger of ", h("code", {}, maskKey(key))),
        h(
          "button",
          {
            type: "button",
            class: "quiet",
            fid: "hide",
            onclick: hide,
            "aria-label": `Hide the ledger of ${maskKey(key)}`,
          },
          "Hide",
        ),
      ),
      h(
        "div",
        { class: "scroll" },
        folded,
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["No.", "Reason", "Δ", "After", "Task", "Time"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  function renderLedgers() {
    const empty = { opening_balance: 0, folded: 0, transactions: [] };
    const items = state.ledgerKeys.map((key) => ({ key, ledger: state.ledgers.get(key) || empty }));
    sync(
      byId("ledgers"),
      items,
      (l) => l.key,
      (l) => ledgerTable(l.key, l.ledger),
    );
  }

  function taskRow(task) {
    const final = FINAL.has(task.status);
    const done = { succeed: "Succeeded", fail: "Failed", cancel: "Cancelled" };
    const act = (verb) => async () => {
      await action(`${done[verb]} task ${task.taskId}.`, () =>
        api("POST", `tasks/${quote(task.taskId)}/${verb}`, {}),
      );
    };
    const params = Object.entries(task.params || {}).map(([name, value]) => [
      h("dt", {}, name),
      h("dd", {}, text(value)),
    ]);
    return h(
      "li",
      { class: `row task status-${task.status}` },
      h(
        "div",
        { class: "task-head" },
        h("code", { class: "task-id" }, task.taskId),
        task.route && h("span", { class: "badge route" }, task.route),
        h("span", { class: `badge status ${task.status}` }, task.status),
      ),
      h(
        "div",
        { class: "progress-line" },
        h(
          "progress",
          { max: 100, value: task.progress, "aria-label": `Progress of task ${task.taskId}` },
          `${task.progress}%`,
        ),
        h("span", { class: "num" }, `${task.progress}%`),
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "key"),
        h("dd", {}, h("code", {}, task.key)),
        h("dt", {}, "model"),
        h("dd", {}, task.model),
        h("dt", {}, "price"),
        h("dd", {}, String(task.price)),
        h("dt", {}, "created"),
        h("dd", {}, seconds(task.created_at)),
        task.refund_trans_no && [
          h("dt", {}, "refund"),
          h("dd", {}, h("code", {}, task.refund_trans_no)),
        ],
        task.failure_reason && [
          h("dt", {}, "failure"),
          h("dd", { class: "bad" }, task.failure_reason),
        ],
        task.error_message && [h("dt", {}, "message"), h("dd", {}, task.error_message)],
      ),
      task.delivery && deliveryBlock(task.delivery),
      h(
        "details",
        { class: "params", fid: "params", open: true },
        h("summary", {}, "Normalized params"),
        h("dl", {}, params),
      ),
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          {
            type: "button",
            fid: "succeed",
            disabled: final,
            onclick: act("succeed"),
            "aria-label": `Succeed task ${task.taskId}`,
          },
          "Succeed",
        ),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            fid: "fail",
            disabled: final,
            onclick: act("fail"),
            "aria-label": `Fail task ${task.taskId}`,
          },
          "Fail",
        ),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            fid: "cancel",
            disabled: final,
            onclick: act("cancel"),
            "aria-label": `Cancel task ${task.taskId}`,
          },
          "Cancel",
        ),
      ),
    );
  }

  // A task's webhook delivery (A7): its state, and each attempt with its answer or error.
  function deliveryBlock(delivery) {
    const count = delivery.attempts.length;
    const attempts = delivery.attempts.map((a) =>
      h(
        "li",
        { class: "attempt" },
        h("span", { class: "num" }, seconds(a.time)),
        " ",
        a.http_status !== null ? `HTTP ${a.http_status}` : h("span", { class: "bad" }, a.error),
      ),
    );
    return h(
      "details",
      { class: "delivery", fid: "delivery", open: true },
      h(
        "summary",
        {},
        "Webhook ",
        h("code", {}, delivery.id),
        " ",
        h("span", { class: `badge delivery-state ${delivery.state}` }, delivery.state),
        ` ${count} attempt${count === 1 ? "" : "s"}`,
      ),
      h("p", { class: "hint" }, h("code", {}, delivery.url)),
      count > 0 && h("ol", { class: "attempts" }, attempts),
    );
  }

  function renderTasks(tasks, deliveries) {
    const byTask = new Map(deliveries.map((d) => [d.taskId, d]));
    tasks = tasks.map((t) => (byTask.has(t.taskId) ? { ...t, delivery: byTask.get(t.taskId) } : t));
    const newest = tasks.slice().reverse(); // the API lists them in creation order
    show(byId("tasks-empty"), tasks.length === 0);
    byId("tasks-count").textContent =
      tasks.length >= SHOWN ? `(newest ${SHOWN})` : `(${tasks.length})`;
    sync(byId("tasks"), newest.slice(0, SHOWN), (t) => t.taskId, taskRow);
  }

  function describeRule(rule) {
    const skip = new Set(["id", "action", "fired"]);
    return Object.entries(rule)
      .filter(([name]) => !skip.has(name))
      .map(
        ([name, value]) => `${name}=${name === "api_key" ? maskKey(String(value)) : text(value)}`,
      )
      .join(" ");
  }

  function faultRow(rule) {
    const remove = () =>
      action(`Removed fault ${rule.id}.`, () => api("DELETE", `faults/${quote(rule.id)}`));
    const retired = rule.times !== undefined && rule.fired >= rule.times;
    return h(
      "li",
      { class: `row fault${retired ? " retired" : ""}` },
      h(
        "div",
        { class: "fault-head" },
        h("code", {}, rule.id),
        h("strong", {}, rule.action),
        h(
          "span",
          { class: "badge fired", "aria-label": `fired ${rule.fired} times` },
          `fired ${rule.fired}`,
        ),
        retired && h("span", { class: "badge" }, "retired"),
      ),
      h("p", { class: "rule" }, describeRule(rule) || "every request"),
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          {
            type: "button",
            fid: "remove",
            onclick: remove,
            "aria-label": `Remove fault ${rule.id}`,
          },
          "Remove",
        ),
      ),
    );
  }

  function renderFaults(faults) {
    show(byId("faults-empty"), faults.length === 0);
    sync(byId("faults"), faults, (f) => f.id, faultRow);
  }

  // "preset:server_error" -> "preset server_error"; "f1,f2" -> "rules f1, f2"
  function faultName(label) {
    if (label.startsWith("preset:")) return `preset ${label.slice("preset:".length)}`;
    const ids = label.split(",");
    return `${ids.length > 1 ? "rules" : "rule"} ${ids.join(", ")}`;
  }

  // What became of a request. An injected fault is the mock's doing, not the client's, so it is
  // its own kind whatever the answer was; a rejection is a refusal of what the client sent.
  function outcome(row) {
    const dropped = row.code === null && row.http_status === null;
    const parts = [];
    if (!dropped) {
      if (row.code !== null) parts.push(row.code === 0 ? "ok" : `code ${row.code}`);
      parts.push(`HTTP ${row.http_status}`);
    }
    const answer = dropped ? "dropped" : parts.join(" · ");
    const refused =
      (row.violations || []).length > 0 ||
      (row.code !== null ? row.code !== 0 : row.http_status >= 400);
    const answered = dropped ? "dropped" : refused ? "rejected" : "ok";
    if (row.fault) {
      return { kind: "fault", answered, label: `fault ${faultName(row.fault)}: ${answer}` };
    }
    const label = answered === "rejected" ? `rejected: ${answer}` : answer;
    return { kind: answered, answered, label };
  }

  function codeReason(row) {
    const code = row.code !== null ? row.code : row.http_status;
    return state.reasons[`${row.route}:${code}`] || state.reasons[String(code)] || null;
  }

  // the rules a row's fault label names, each as "<action> <its fields>"
  function faultRules(label) {
    if (label.startsWith("preset:")) {
      const rule = (state.presets || {})[label.slice("preset:".length)];
      return [{ rule, what: "the X-Sora-Mock-Fault header" }];
    }
    const ids = label.split(",");
    return ids.map((id) => {
      const rule = state.faults.find((f) => f.id === id);
      const what = rule ? `${rule.action} ${describeRule(rule)}`.trim() : "since removed";
      return { rule, what: ids.length > 1 ? `${id}: ${what}` : what };
    });
  }

  function describeFault(row, answered) {
    const rules = faultRules(row.fault);
    const name = `fault ${faultName(row.fault)} (${rules.map((r) => r.what).join("; ")})`;
    if (!rules.every(({ rule }) => rule && GOES_ON.has(rule.action))) {
      return `Injected by ${name}, not caused by the request.`;
    }
    const refused = answered === "rejected" && (row.violations || []).length === 0;
    const why = refused && codeReason(row);
    return `Fired ${name}; the request then went on as usual.${why ? ` ${why}` : ""}`;
  }

  // The sentence shown under a row that was not simply answered: the rules it broke are listed
  // on their own, so a rejection with violations needs none.
  function reasonOf(row, { kind, answered }) {
    if (kind === "fault") return describeFault(row, answered);
    if (kind === "dropped") return "No answer: the connection closed before the mock answered.";
    if (kind !== "rejected" || (row.violations || []).length > 0) return null;
    return codeReason(row);
  }

  function list(cls, label, items, show) {
    if (!items || items.length === 0) return null;
    return h(
      "ul",
      { class: cls, "aria-label": label },
      items.map((item) => h("li", {}, show(item))),
    );
  }

  function requestRow({ row, kind, label, reason }) {
    return h(
      "li",
      { class: `row req ${kind}` },
      h(
        "div",
        { class: "req-line" },
        h("span", { class: "num time" }, seconds(row.time)),
        h("strong", {}, row.method),
        h("code", { class: "path" }, row.path),
        h("span", { class: "badge" }, row.route),
        h("span", { class: `badge outcome ${kind}` }, label),
        row.key && h("code", { class: "key" }, row.key),
        row.taskId &&
          h("code", { class: "task-ref", title: row.taskId }, `task ${row.taskId.slice(0, 8)}`),
      ),
      reason && h("p", { class: "reason" }, reason),
      list("violations", "violations", row.violations, (v) => [
        h("code", {}, v.field),
        " ",
        v.message,
      ]),
      list("warnings", "warnings", row.warnings, (w) => ["warning: ", w]),
      list("normalizations", "normalizations", row.normalizations, (n) => ["normalized: ", n]),
      // a proxy's row (sora-mock proxy): where the mock would have answered otherwise
      list("drift", "drift", row.drift, (d) => [
        "drift: ",
        h("code", {}, d.aspect),
        ` mock ${JSON.stringify(d.mock)}, upstream ${JSON.stringify(d.upstream)} (${d.section})`,
      ]),
      h(
        "details",
        { fid: "body" },
        h("summary", {}, "Body and headers"),
        h(
          "pre",
          {},
          row.body === null
            ? "(no body)"
            : typeof row.body === "string"
              ? row.body
              : JSON.stringify(row.body, null, 2),
        ),
        h("pre", {}, JSON.stringify(row.headers, null, 2)),
      ),
    );
  }

  // -- the journal's filter: over the rows the page holds, so it answers as one types --------

  function readFilter() {
    const text = byId("filter-text").value.trim();
    return {
      route: byId("filter-route").value,
      outcome: byId("filter-outcome").value,
      text: text.toLowerCase(),
      key: text ? maskKey(text) : null, // a full key typed finds the rows of its masked form
    };
  }

  function searchable(view) {
    const { row } = view;
    return [
      row.method,
      row.path,
      row.key,
      row.taskId,
      row.fault,
      view.label,
      view.reason,
      ...(row.violations || []).map((v) => `${v.field} ${v.message}`),
      ...(row.warnings || []),
      ...(row.normalizations || []),
      row.body === null || typeof row.body === "string" ? row.body : JSON.stringify(row.body),
    ]
      .filter((part) => typeof part === "string")
      .join("\n")
      .toLowerCase();
  }

  function matches(view, filter) {
    if (filter.route && view.row.route !== filter.route) return false;
    if (filter.outcome && view.kind !== filter.outcome) return false;
    if (!filter.text) return true;
    return view.row.key === filter.key || searchable(view).includes(filter.text);
  }

  function renderJournal() {
    const rows = state.rows;
    const filter = readFilter();
    const views = rows
      .slice()
      .reverse()
      .map((row) => {
        const result = outcome(row);
        return { row, kind: result.kind, label: result.label, reason: reasonOf(row, result) };
      });
    const shown = views.filter((view) => matches(view, filter));
    const filtered = filter.route || filter.outcome || filter.text;
    const empty = byId("journal-empty");
    empty.textContent = rows.length ? "No request matches the filter." : "No requests yet.";
    show(empty, shown.length === 0);
    const total = rows.length >= SHOWN ? `newest ${SHOWN}` : String(rows.length);
    byId("journal-count").textContent = filtered ? `(${shown.length} of ${total})` : `(${total})`;
    sync(byId("journal"), shown, (v) => JSON.stringify(v.row), requestRow);
  }

  // -- polling -----------------------------------------------------------------------------

  async function load() {
    const [clock, accounts, tasks, faults, requests, hooks] = await Promise.all([
      api("GET", "clock"),
      api("GET", "accounts"),
      api("GET", `tasks?limit=${SHOWN}`),
      api("GET", "faults"),
      api("GET", `requests?limit=${SHOWN}`),
      api("GET", `webhooks?limit=${SHOWN}`),
    ]);
    const ledgers = await Promise.all(
      state.ledgerKeys.map((key) =>
        api("GET", `accounts/${quote(key)}/ledger`).catch((err) => {
          // the key is gone, e.g. after a reset: stop following it
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        }),
      ),
    );
    state.ledgers = new Map();
    state.ledgerKeys = state.ledgerKeys.filter((key, i) => {
      if (ledgers[i] !== null) state.ledgers.set(key, ledgers[i]);
      return ledgers[i] !== null;
    });
    renderClock(clock);
    renderAccounts(accounts.accounts);
    renderLedgers();
    renderTasks(tasks.tasks, hooks.webhooks);
    renderFaults(faults.faults);
    state.faults = faults.faults;
    state.rows = requests.requests;
    renderJournal();
  }

  async function refresh() {
    if (state.busy) {
      state.again = true;
      return;
    }
    clearTimeout(state.timer);
    if (state.locked) return;
    if (document.hidden) {
      setStatus("Paused while the tab is hidden.");
      return;
    }
    state.busy = true;
    try {
      await load();
      if (!state.locked) {
        show(byId("panels"), true);
        show(byId("forget-token"), state.token !== null);
        setStatus("Live: refreshing every second.");
        if (byId("error").dataset.source === "poll") setError("");
      }
    } catch (err) {
      if (!state.locked && !refused(err)) {
        setStatus("The mock is not answering; retrying.");
        setError(`Could not read the mock: ${err.message}`);
        byId("error").dataset.source = "poll";
      }
    } finally {
      state.busy = false;
    }
    if (state.again) {
      state.again = false;
      refresh();
    } else if (!state.locked && !document.hidden) {
      state.timer = setTimeout(refresh, POLL_MS);
    }
  }

  // Runs one change against the mock, reports it, and refreshes at once.
  async function action(done, call) {
    try {
      await call();
      setError("");
      if (!state.locked) byId("done").textContent = done;
    } catch (err) {
      byId("done").textContent = "";
      if (!state.locked && !refused(err)) {
        setError(err.message);
        byId("error").dataset.source = "action";
      }
    }
    refresh();
  }

  // -- forms -------------------------------------------------------------------------------

  async function loadStatic(name) {
    const response = await fetch(new URL(`ui/${name}.json`, document.baseURI), {
      cache: "no-store",
    });
    return (await response.json())[name];
  }

  async function loadPresets() {
    state.presets = await loadStatic("presets");
    const select = byId("fault-preset");
    for (const name of Object.keys(state.presets))
      select.append(h("option", { value: name }, name));
  }

  function onSubmit(id, handler) {
    byId(id).addEventListener("submit", (event) => {
      event.preventDefault();
      handler();
    });
  }

  function wire() {
    onSubmit("token-form", () => {
      const token = byId("token-input").value;
      if (token) unlock(token);
    });
    byId("forget-token").addEventListener("click", () => lock(""));

    onSubmit("advance-form", () => {
      const value = Number(byId("advance-seconds").value);
      action(`Advanced the clock by ${num(value)} s.`, () =>
        api("POST", "clock/advance", { seconds: value }),
      );
    });
    byId("reset").addEventListener("click", () => {
      action("Reset the mock to its configured start.", () => api("POST", "reset"));
    });
    byId("clear-journal").addEventListener("click", () =>
      action("Cleared the journal.", () => api("DELETE", "requests")),
    );

    const typedKey = () => {
      const key = byId("balance-key").value.trim();
      if (/^\*+/.test(key)) {
        setError("Type the full key: the list shows keys masked.");
        return null;
      }
      return key || null;
    };
    const follow = (key) => {
      if (!state.ledgerKeys.includes(key)) state.ledgerKeys.push(key);
    };
    onSubmit("balance-form", () => {
      const key = typedKey();
      const field = byId("balance-value");
      if (key === null) return;
      if (field.value === "") {
        setError("Enter the balance to set.");
        field.focus();
        return;
      }
      const balance = Number(field.value);
      follow(key);
      action(`Set the balance of ${maskKey(key)} to ${balance}.`, () =>
        api("PUT", `accounts/${quote(key)}`, { balance }),
      );
    });
    byId("show-ledger").addEventListener("click", () => {
      const key = typedKey();
      if (key === null) {
        if (!byId("balance-key").value) byId("balance-key").reportValidity();
        return;
      }
      follow(key);
      action(`Showing the ledger of ${maskKey(key)}.`, () => api("GET", `accounts/${quote(key)}`));
    });

    onSubmit("journal-filter", renderJournal);
    for (const id of ["filter-route", "filter-outcome", "filter-text"]) {
      byId(id).addEventListener("input", renderJournal);
    }
    byId("journal-filter").addEventListener("reset", (event) => {
      event.preventDefault(); // the form's own reset would empty the fields after this handler
      for (const id of ["filter-route", "filter-outcome", "filter-text"]) byId(id).value = "";
      renderJournal();
    });

    onSubmit("fault-form", () => {
      const name = byId("fault-preset").value;
      const rule = { ...state.presets[name] };
      const route = byId("fault-route").value;
      if (route !== "any") rule.route = route;
      const times = byId("fault-times").value;
      if (times !== "") rule.times = Number(times);
      action(`Added the fault ${name}.`, () => api("POST", "faults", rule));
    });

    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        clearTimeout(state.timer);
        setStatus("Paused while the tab is hidden.");
      } else {
        refresh();
      }
    });
  }

  async function start() {
    wire();
    const [presets, reasons] = await Promise.allSettled([loadPresets(), loadStatic("reasons")]);
    if (reasons.status === "fulfilled") state.reasons = reasons.value;
    const failed = [
      presets.status === "rejected" && `the fault presets (${presets.reason.message})`,
      reasons.status === "rejected" && `the rejection reasons (${reasons.reason.message})`,
    ].filter(Boolean);
    if (failed.length) setError(`Could not load ${failed.join(" or ")}.`);
    refresh();
  }

  start();
})();
