// The local situation room: one channel per department, live alert cards, and a chat box
// that talks to the same command layer as Slack, Teams and Telegram.
"use strict";

const state = { departments: [], alerts: new Map(), chat: {}, current: null, arriving: null };
const $ = (id) => document.getElementById(id);

// The room's own labels; what the bot says comes from the server, already translated.
const LABELS = {
  de: { name: "Ihr Name", send: "Senden", ask: "Fragen: offene Alarme · ack 42 · Themen · was ist los in Köln?",
        live: "live", reconnecting: "verbinde neu…", report: "Bericht öffnen" },
  en: { name: "Your name", send: "Send", ask: "Ask: open alerts · ack 42 · topics · what's happening in Berlin?",
        live: "live", reconnecting: "reconnecting…", report: "Open the report" },
};

function label(key) {
  return (LABELS[language()] || LABELS.en)[key];
}

function me() {
  return $("me").value.trim();
}

function language() {
  const dept = state.departments.find((d) => d.name === state.current);
  return dept ? dept.language : "en";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function renderDepartments() {
  const nav = $("departments");
  nav.replaceChildren();
  for (const d of state.departments) {
    const open = [...state.alerts.values()].filter(
      (a) => a.departments.includes(d.name) && a.cards.en.status !== "resolved").length;
    const button = el("button", { class: d.name === state.current ? "active" : "", "data-department": d.name,
      onclick: () => select(d.name) }, el("span", {}, "# " + d.name));
    if (open) button.append(el("span", { class: "badge" }, String(open)));
    nav.append(button);
  }
}

function renderAlerts() {
  const lang = language();
  const list = [...state.alerts.values()]
    .filter((a) => a.departments.includes(state.current))
    .sort((a, b) => b.id - a.id);
  const box = $("alerts");
  box.replaceChildren();
  if (!list.length) box.append(el("p", { class: "empty" }, lang === "de" ? "Keine Alarme." : "No alerts."));
  for (const a of list) {
    const c = a.cards[lang] || a.cards.en;
    const card = el("article", { class: `card ${c.severity} ${c.status}`, "data-alert": String(c.id) },
      el("div", { class: "top" }, el("span", { class: "sev" }, c.severity_label), el("span", { class: "num" }, "#" + c.id)),
      el("h3", {}, c.title),
      el("div", { class: "meta" }, c.where, " · ", c.size));
    // Why it fired (the rule, baseline against now, when it began, new terms): plain lines, in order.
    if (c.why && c.why.length) card.append(el("ul", { class: "why" }, ...c.why.map((line) => el("li", {}, line))));
    for (const p of c.posts) {
      card.append(el("blockquote", {}, p.text, el("small", {}, p.author ? " — " + p.author : "")));
    }
    const status = el("div", { class: "status" }, el("span", { class: "status-line" }, c.status_line));
    const buttons = el("span", { class: "actions" });
    for (const a of c.actions) {
      buttons.append(el("button", { class: a.action, onclick: () => perform(c.id, a.action) }, a.label));
    }
    status.append(buttons);
    card.append(status);
    box.append(card);
  }
  const open = list.filter((a) => a.cards.en.status !== "resolved").length;
  $("open-count").textContent = lang === "de" ? `${open} offen` : `${open} open`;
}

function renderChat() {
  const box = $("messages");
  box.replaceChildren();
  for (const m of state.chat[state.current] || []) {
    const item = el("li", { class: m.bot ? "bot" : "" }, el("span", { class: "from" }, m.from), m.text);
    if (m.link) {  // a department report: its page on this server (/reports/<id>)
      item.append(" ", el("a", { class: "report", href: m.link, target: "_blank", rel: "noopener" }, label("report")));
    }
    // Charts come as images kept on the server (/charts/<id>.png); a click opens one full size.
    for (const image of m.images || []) {
      item.append(el("a", { class: "chart", href: image.url, target: "_blank", rel: "noopener" },
        el("img", { src: image.url, alt: image.alt, title: image.alt, onload: () => { box.scrollTop = box.scrollHeight; } })));
    }
    box.append(item);
  }
  box.scrollTop = box.scrollHeight;
}

function select(name) {
  state.current = name;
  const dept = state.departments.find((d) => d.name === name);
  $("channel-title").textContent = dept ? `# ${dept.name} — ${dept.title}` : "";
  document.documentElement.lang = language();
  $("me-label").textContent = label("name");
  $("send").textContent = label("send");
  $("text").placeholder = label("ask");
  renderDepartments();
  renderAlerts();
  renderChat();
  history.replaceState(null, "", "#" + name);
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error((data.problems || [data.detail]).join("; "));
  return data;
}

function needName() {
  if (me()) return false;
  $("me").focus();
  $("me").placeholder = language() === "de" ? "Bitte Namen eingeben" : "Please enter your name";
  return true;
}

async function perform(id, action) {
  if (needName()) return;
  try {
    const data = await post("/room/api/act", { alert_id: id, action, user: me(), department: state.current });
    addLocal(data.reply);
  } catch (e) {
    addLocal(String(e.message));
  }
}

function addLocal(text) {
  // Ack answers are personal: shown to the person who pressed the button, not stored.
  (state.chat[state.current] ||= []).push({ from: "sitroom", text, bot: true });
  renderChat();
}

async function ask(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || needName()) return;
  $("text").value = "";
  try {
    await post("/room/api/chat", { department: state.current, user: me(), text });
  } catch (e) {
    addLocal(String(e.message));
  }
}

function apply(event) {
  if (event.type === "alert") {
    state.alerts.set(event.id, event);
    renderDepartments();
    renderAlerts();
  } else if (event.type === "chat") {
    (state.chat[event.department] ||= []).push(event.message);
    if (event.department === state.current) renderChat();
  }
}

function listen() {
  const source = new EventSource("/room/api/events");
  // Every (re)connection reloads the state: changes made while the page had no connection
  // (server restart, laptop asleep) would otherwise never show. The server subscribes before
  // it answers, so nothing published after the stream opened is missed.
  source.onopen = () => {
    $("connection").textContent = label("live");
    loadState();
  };
  source.onerror = () => { $("connection").textContent = label("reconnecting"); };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (state.arriving) state.arriving.push(event); // a state load is in flight: apply after it
    else apply(event);
  };
}

async function loadState() {
  const arriving = (state.arriving = []);
  let data;
  try {
    const response = await fetch("/room/api/state");
    if (!response.ok) throw new Error(`state: HTTP ${response.status}`);
    data = await response.json();
  } catch (e) {
    $("connection").textContent = String(e.message);
    if (state.arriving === arriving) state.arriving = null;
    for (const event of arriving) apply(event);
    return;
  }
  if (state.arriving !== arriving) return; // a newer load replaced this one
  state.arriving = null;
  $("org").textContent = `${data.organisation} · sitroom`;
  state.departments = data.departments;
  state.alerts = new Map(data.alerts.map((a) => [a.id, a]));
  state.chat = data.chat;
  for (const event of arriving) {
    // Alert events carry the whole alert, so replaying them in order ends on the newest state;
    // a chat message already in the loaded history is not added twice.
    const recent = event.type === "chat" ? (state.chat[event.department] || []).slice(-arriving.length) : [];
    if (recent.some((m) => JSON.stringify(m) === JSON.stringify(event.message))) continue;
    apply(event);
  }
  const wanted = state.current || location.hash.slice(1);
  select(state.departments.some((d) => d.name === wanted) ? wanted : state.departments[0].name);
}

function start() {
  $("me").value = localStorage.getItem("sitroom-name") || "";
  $("me").addEventListener("input", () => localStorage.setItem("sitroom-name", me()));
  $("ask").addEventListener("submit", ask);
  listen();
}

start();
