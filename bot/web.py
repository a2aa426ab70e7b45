"""`sitroom serve`: ingestion endpoints, health, and the local situation room."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import redis.asyncio as aioredis
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from rq import Worker

from bot import charts, commands, ingest, notify, platforms, render, store
from bot.models import Alert
from bot.platforms import ACTIONS
from bot.sources import InputError, facebook, generic, verify_hmac_sha256, x

log = logging.getLogger("sitroom.web")
STATIC = Path(__file__).parent / "room" / "static"
COOKIE = "sitroom_room"
SIGNATURE_HEADER = "X-Sitroom-Signature-256"


def create_app(ctx) -> FastAPI:
    """The ASGI app for one Context."""
    app = FastAPI(title="sitroom", docs_url="/api/docs", redoc_url=None)
    app.state.ctx = ctx
    room_token = ctx.cfg.secrets.room_token or ctx.store.secret("room")
    app.state.room_token = room_token
    max_body = ctx.cfg.server.max_body_bytes

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError):
        return JSONResponse({"error": "invalid input", "problems": exc.problems}, status_code=400)

    async def body_of(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            raise HTTPException(413, f"body of {declared} bytes is over the limit of {max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise HTTPException(413, f"body is over the limit of {max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def check_signature(body: bytes, secret: str | None, header: str | None, env_name: str) -> None:
        if not secret:
            raise HTTPException(503, f"this endpoint is off: set {env_name} to accept signed requests")
        if not verify_hmac_sha256(secret, body, header):
            raise HTTPException(401, "bad or missing signature: expected sha256=<hex HMAC-SHA256 of the body>")

    def take(posts) -> JSONResponse:
        ingest.check_channels(ctx.cfg, posts)
        result = ingest.accept(ctx, posts)
        return JSONResponse(result.to_dict(), status_code=202)

    # --- ingestion ---------------------------------------------------------------------
    @app.post("/ingest/posts", status_code=202)
    async def ingest_posts(request: Request):
        body = await body_of(request)
        check_signature(body, ctx.cfg.secrets.ingest_secret, request.headers.get(SIGNATURE_HEADER), "SITROOM_INGEST_SECRET")
        posts = generic.parse(body)
        return await asyncio.to_thread(take, posts)

    @app.post("/ingest/x", status_code=202)
    async def ingest_x(request: Request, channel: str = ""):
        body = await body_of(request)
        check_signature(body, ctx.cfg.secrets.ingest_secret, request.headers.get(SIGNATURE_HEADER), "SITROOM_INGEST_SECRET")
        source = ctx.cfg.source(channel)
        if source is None or source.platform != "x":
            known = [s.name for s in ctx.cfg.sources if s.platform == "x"]
            raise InputError([f"?channel=: '{channel}' is not an X source in config.yaml; known: {', '.join(known)}"])
        return await asyncio.to_thread(take, x.parse(body, channel))

    @app.get("/ingest/facebook")
    async def facebook_handshake(request: Request):
        token = ctx.cfg.secrets.facebook_verify_token
        if not token:
            raise HTTPException(503, "this endpoint is off: set FACEBOOK_VERIFY_TOKEN")
        return PlainTextResponse(facebook.verify_challenge(request.query_params, token))

    @app.post("/ingest/facebook")
    async def ingest_facebook(request: Request):
        body = await body_of(request)
        check_signature(body, ctx.cfg.secrets.facebook_app_secret, request.headers.get("X-Hub-Signature-256"), "FACEBOOK_APP_SECRET")
        pages = {s.account: s.name for s in ctx.cfg.sources if s.platform == "facebook"}
        return await asyncio.to_thread(take, facebook.parse(body, pages.get))

    @app.get("/healthz")
    def healthz():
        try:
            ctx.redis.ping()
        except Exception as e:  # any Redis failure means unhealthy, and says why
            return JSONResponse({"ok": False, "redis": f"down: {e}"}, status_code=503)
        workers = Worker.all(queue=ctx.scoring)
        body = {
            "ok": bool(workers),
            "redis": "up",
            "workers": len(workers),
            "pending_posts": ctx.store.pending_count(),
            "queued_jobs": ctx.scoring.count,
            "failed_jobs": ctx.scoring.failed_job_registry.count,
            **ctx.store.stats(),
        }
        return JSONResponse(body, status_code=200 if workers else 503)

    # --- the local situation room ------------------------------------------------------
    def authorised(request: Request) -> bool:
        given = request.cookies.get(COOKIE) or request.headers.get("Authorization", "").removeprefix("Bearer ")
        return given == room_token

    def require_room(request: Request) -> None:
        if not authorised(request):
            raise HTTPException(401, "open the room with the link that `sitroom serve` printed (it carries the token)")

    @app.get("/")
    def room(request: Request, token: str | None = None):
        if token is not None:
            if token != room_token:
                return HTMLResponse("<h1>Wrong room token</h1>", status_code=401)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        if not authorised(request):
            return HTMLResponse(
                "<h1>sitroom</h1><p>Open the room with the link that <code>sitroom serve</code> printed.</p>",
                status_code=401,
            )
        return FileResponse(STATIC / "index.html")

    app.mount("/room/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/room/api/state")
    def state(request: Request):
        require_room(request)
        departments = [{"name": d.name, "title": d.title, "language": d.language} for d in ctx.cfg.departments]
        alerts = [render.cards(ctx, a) for a in ctx.store.alerts(limit=100)]
        chats = {d.name: ctx.store.chat_history(d.name) for d in ctx.cfg.departments}
        return {"organisation": ctx.cfg.organisation, "departments": departments, "alerts": alerts, "chat": chats}

    @app.post("/room/api/act")
    async def act(request: Request):
        require_room(request)
        data = await json_of(request, {"alert_id": int, "action": str, "user": str})
        if data["action"] not in ACTIONS:
            raise InputError([f"action: expected one of {', '.join(ACTIONS)}"])
        lang = ctx.department_language(data.get("department"))
        user = data["user"].strip()[:60]
        # The room knows people by the name they type: it is behind the room token.
        reply = await asyncio.to_thread(commands.act, ctx, data["alert_id"], data["action"], "room", user, user, lang)
        return {"reply": reply.text, "lang": reply.lang}

    @app.post("/room/api/chat")
    async def chat(request: Request):
        require_room(request)
        data = await json_of(request, {"department": str, "user": str, "text": str})
        if ctx.cfg.department(data["department"]) is None:
            raise InputError([f"department: unknown department '{data['department']}'"])
        return await asyncio.to_thread(talk, ctx, data)

    @app.get("/room/api/events")
    async def events(request: Request):
        require_room(request)
        # Subscribe before answering: the page reloads its state once the stream is open, so
        # every change after that moment must reach it.
        client = aioredis.from_url(ctx.redis_url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(store.EVENTS)
        except BaseException:
            await pubsub.aclose()
            await client.aclose()
            raise
        return StreamingResponse(stream_events(ctx, request, client, pubsub), media_type="text/event-stream")

    # --- report pages (bot/report.py): no login, the random 128-bit id in the address is the capability
    @app.get("/reports/{report_id}")
    def report_page(report_id: str):
        page = ctx.store.report_page(report_id) if len(report_id) == 32 and report_id.isalnum() else None
        if page is None:
            return HTMLResponse("<h1>No such report</h1><p>The link is wrong, or the report is older than 30 days.</p>",
                                status_code=404)
        # the address is the key: no Referer to the post links it has, no search engines, no shared caches
        return HTMLResponse(page, headers={"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                                           "Cache-Control": "private, max-age=300"})

    # --- chart images (bot/charts.py): no login either; a chart never changes once kept
    @app.get("/charts/{chart_id}.png")
    def chart_image(chart_id: str):
        png = ctx.store.chart_png(chart_id) if re.fullmatch(r"[0-9a-f]{32}", chart_id) else None
        if png is None:
            return PlainTextResponse("no such chart (the link is wrong, or the chart is older than 30 days)", status_code=404)
        return Response(png, media_type="image/png", headers={
            "Cache-Control": "private, max-age=2592000, immutable", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"})

    platforms.mount(app, ctx)  # Slack, Teams, Telegram: each only when its credentials are set
    return app


_JSON_TYPE = {str: "a string", int: "an integer"}


async def json_of(request: Request, fields: dict[str, type]) -> dict:
    """A JSON object with the given required fields of the given types, or a 400 naming the field."""
    try:
        data = json.loads(await request.body())
    except ValueError as e:
        raise InputError([f"body: not valid JSON: {e}"]) from None
    if not isinstance(data, dict):
        raise InputError(["body: expected a JSON object"])
    problems = [
        f"{name}: expected {_JSON_TYPE[kind]}" for name, kind in fields.items()
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool)
    ]
    if problems:
        raise InputError(problems)
    return data


def talk(ctx, data: dict) -> dict:
    """One chat message from the room: answer it, keep both in the department's history."""
    dept, user = data["department"], data["user"].strip()[:60] or "?"
    question = {"from": user, "text": data["text"][:2000], "bot": False}
    reply = commands.handle(ctx, commands.Request(data["text"][:2000], user, dept, "room"))
    answer = {"from": "sitroom", "text": reply.text, "bot": True, "alerts": [a.id for a in reply.alerts]}
    for message in (question, answer):
        notify.room(ctx, dept, message)
    if reply.charts:  # drawn only now (charts.Later): the text is out already
        images = [{"url": charts.keep(ctx, chart), "alt": chart.alt} for chart in reply.charts]
        notify.room(ctx, dept, {"from": "sitroom", "text": "", "bot": True, "images": images})
    return {"reply": reply.text, "lang": reply.lang}


async def stream_events(ctx, request: Request, client, pubsub):
    """Server-sent events on a subscribed pubsub: alert changes as cards, and chat messages."""
    try:
        yield "retry: 2000\n\n"
        quiet = 0
        while not await request.is_disconnected():
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                quiet += 1
                if quiet % 15 == 0:  # a comment now and then keeps proxies from closing the stream
                    yield ": keep-alive\n\n"
                continue
            event = json.loads(message["data"])
            if event["type"] == "alert":
                alert = Alert.from_dict(event["alert"])
                payload = {"type": "alert", "change": event["change"], **(await asyncio.to_thread(render.cards, ctx, alert))}
            else:
                payload = event
            yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
    finally:
        await pubsub.aclose()
        await client.aclose()
