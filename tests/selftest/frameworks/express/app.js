// GET /v1/sessions/:id in Express, as its documentation teaches (https://expressjs.com/en/guide/routing.html):
// a bearer check written by hand with String.prototype.trim(), 404 JSON for an unknown id and another
// account's session alike, a 404 handler last (https://expressjs.com/en/starter/faq.html) and an error
// handler that answers JSON, never a stack trace (https://expressjs.com/en/guide/error-handling.html).
//
// It serves the reference server's seed (chaser_conformance/server/store.py), which the selftest writes
// to the JSON file named in SESSIONS_FILE: {"accounts": [{"token": ..., "sessions": {id: SessionInfo}}]}.
//   SESSIONS_FILE=seed.json PORT=8000 node tests/selftest/frameworks/express/app.js
// Without PORT it takes a free port. It prints the port once it listens, and exits at the end of
// its standard input (the selftest stopped it, or died).
//
// What Express does that the reference server does not: trim() removes U+00A0, U+FEFF and other
// Unicode white space (so "Bearer <token>" followed by U+00A0 reads), and Node's HTTP parser answers
// 400 to a field value with a control character before the app sees the request.
"use strict";

const { readFileSync } = require("node:fs");
const express = require("express");

const seed = JSON.parse(readFileSync(process.env.SESSIONS_FILE, "utf8"));
// Maps, not plain objects: an id such as "__proto__" or "constructor" is a key like any other.
const accounts = new Map(seed.accounts.map((a) => [a.token, new Map(Object.entries(a.sessions))]));

function bearerToken(req) {
  const header = (req.get("Authorization") || "").trim();
  const space = header.indexOf(" ");
  if (space < 0 || header.slice(0, space).toLowerCase() !== "bearer") {
    return null;
  }
  return header.slice(space + 1).trim() || null;
}

function requireToken(req, res, next) {
  const sessions = accounts.get(bearerToken(req));
  if (!sessions) {
    res.set("WWW-Authenticate", 'Bearer realm="chaser"');
    return res.status(401).json({ error: "unauthorized" });
  }
  res.locals.sessions = sessions;
  return next();
}

const app = express();

app.get("/v1/sessions/:id", requireToken, (req, res) => {
  const session = res.locals.sessions.get(req.params.id);
  if (!session) {
    return res.status(404).json({ error: "not_found" }); // unknown, or another account's: the same answer
  }
  return res.json(session);
});

app.use((req, res) => {
  res.status(404).json({ error: "not_found" });
});

// eslint-disable-next-line no-unused-vars -- Express knows an error handler by its four parameters
app.use((err, req, res, next) => {
  const status = err.status >= 400 && err.status < 500 ? err.status : 500; // 400: an id that does not decode
  res.status(status).json({ error: status === 500 ? "internal_error" : "bad_request" });
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", (error) => {
  if (error) {
    throw error;
  }
  console.log(server.address().port);
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
