"""The only module that knows Redis key names. Everything else calls these functions."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Iterable

import redis

from bot.models import Alert, AlertStatus, Post, Scores

PREFIX = "sitroom:"
# Key templates, all in one place (as rq does it).
POST = PREFIX + "post:{key}"  # hash: post (json), scores (json), vec (float16 sentence embedding, customer posts),
# counts (json: the newest engagement counts accepted and their time t), seen (json: t and reach of the counts scored)
PENDING = PREFIX + "pending"  # list of post keys waiting to be scored
UPDATES = PREFIX + "updates"  # list of post keys whose engagement counts changed, waiting to be scored again
UPDATE_MARK = "~"  # an update's post key in a claimed batch starts with this
VELOCITY = PREFIX + "velocity:{minute}"  # zset: post key -> reach gained per minute, posts updated in that minute
BATCH = PREFIX + "batch:{owner}"  # list of post keys a scoring job has claimed
SCORING_REQUESTED = PREFIX + "scoring-requested"  # flag: a scoring job is on its way
AGG = PREFIX + "agg:{minute}"  # hash: "metric|dim=value|..." -> number, one per event-time minute
HOUR = PREFIX + "hour:{hour}"  # hash: like AGG, one per event-time hour (unix s // 3600), kept for weeks
CHANNELS = PREFIX + "channels"  # hash: channel -> wall time of its newest accepted post
TOP = PREFIX + "top:{minute}"  # zset: post key -> reach, the minute's posts
WATERMARK = PREFIX + "watermark"  # newest event time scored
STATS = PREFIX + "stats"  # hash of counters
ALERT = PREFIX + "alert:{id}"  # json
ALERT_SEQ = PREFIX + "alert-seq"
ALERTS = PREFIX + "alerts"  # zset: id -> created wall time
ALERT_FP = PREFIX + "alert-fp:{fingerprint}"  # id of the open alert with this fingerprint
ALERT_MESSAGES = PREFIX + "alert-messages:{id}"  # hash: "platform|destination" -> message ref (json)
OUTBOX = PREFIX + "outbox:{platform}:{destination}"  # list of deliveries waiting, oldest first
DELIVERING = PREFIX + "delivering:{platform}:{destination}"  # flag: a delivery job is on its way
CONVERSATION = PREFIX + "conversation:{platform}:{key}"  # json: how to reach a chat (Teams references)
AUDIT = PREFIX + "audit"  # list of json entries: who did what, when, where
SILENCES = PREFIX + "silences"  # hash: id -> json {matchers, until, by, reason}
RULES_LOCK = PREFIX + "rules-lock"
RULES_VERSION = PREFIX + "rules-version"  # bumped when an admin reloads the rules: workers follow
CHAT = PREFIX + "chat:{department}"  # list of chat messages, newest last
SECRET = PREFIX + "secret:{name}"  # installation-wide random secrets (room token, pseudonym key)
EVENTS = PREFIX + "events"  # pub/sub channel of alert and chat events
# emerging topics (bot/emerging.py); the {emerging} hash tag keeps the buckets in one cluster slot,
# so that one script can sum over them
EMERGING_TERMS = PREFIX + "{{emerging}}:terms:{bucket}"  # hash: term -> posts with it, "#posts" -> posts; per bucket
EMERGING_POSTS = PREFIX + "{{emerging}}:posts:{bucket}"  # list of the bucket's posts as detector records (json)
EMERGING_TOPICS = PREFIX + "{emerging}:topics"  # hash: topic id -> json {name, terms, first_seen, last_seen}
CLOCK = PREFIX + "clock"  # noise: id of the tick job that carries the one clock chain
SUMMARY = PREFIX + "summary:{chat}"  # json: the last summary given in a chat, for its "more" follow-up
REPORT = PREFIX + "report:{id}"  # html: a rendered department report, served at /reports/<id> (the id is the capability)
CHART = PREFIX + "chart:{id}"  # png: a chart image, served at /charts/<id>.png (the id is the capability)
# anomaly rules (bot/anomalies.py): per rule, "#head" -> json {fed, signature, series: {group: newest step}},
# and per series (group as a json list) -> json {state (detector), t, seen, score, value, count, expected}
ANOMALY = PREFIX + "anomaly:{rule}"
ANOMALY_HEAD = "#head"
CHAT_KEEP = 200
AUDIT_KEEP = 100_000

# 1 = new, 2 = engagement update (counts differ and were read later than the stored ones), 0 = duplicate.
_ACCEPT = """
local function stored(key)
  local raw = redis.call('HGET', key, 'counts')
  if raw then return cjson.decode(raw) end
  local p = cjson.decode(redis.call('HGET', key, 'post'))  -- stored before counts were kept
  return {t = 0, followers = p.followers, likes = p.likes, shares = p.shares, replies = p.replies}
end
local out = {}
for i, key in ipairs(KEYS) do
  local post, counts = ARGV[2 * i + 2], ARGV[2 * i + 3]
  if redis.call('HSETNX', key, 'post', post) == 1 then
    redis.call('HSET', key, 'counts', counts)
    redis.call('EXPIRE', key, ARGV[1])
    redis.call('RPUSH', ARGV[2], key)
    out[i] = 1
  else
    local old, new = stored(key), cjson.decode(counts)
    if new.t > old.t and (new.followers ~= old.followers or new.likes ~= old.likes
                          or new.shares ~= old.shares or new.replies ~= old.replies) then
      redis.call('HSET', key, 'counts', counts)
      redis.call('RPUSH', ARGV[3], key)
      out[i] = 2
    else
      out[i] = 0
    end
  end
end
return out
"""

# A job claims a batch into a list of its own, so a retry of the same job finds it again.
# Engagement updates fill what room the new posts leave, marked, so they are scored after them.
_CLAIM = """
local mine = redis.call('LRANGE', KEYS[2], 0, -1)
if #mine > 0 then return mine end
local taken = redis.call('LPOP', KEYS[1], ARGV[1]) or {}
local room = tonumber(ARGV[1]) - #taken
if room > 0 then
  for _, key in ipairs(redis.call('LPOP', KEYS[3], room) or {}) do taken[#taken + 1] = ARGV[2] .. key end
end
if #taken == 0 then return {} end
redis.call('RPUSH', KEYS[2], unpack(taken))
return taken
"""

# All of one aggregate hash's increments in one command: hundreds of HINCRBYFLOATs per batch
# would cost the client more than the server. One key per call, so it also works on a cluster.
_ADD_FLOATS = """
for i = 2, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
"""

_MAX = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('GET', KEYS[1])
"""

# noise: hand the clock chain on only from the job that holds it (or take it when nobody does).
_PASS_CLOCK = """
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

# Sums of hash fields over many hashes (emerging topics: term counts over the baseline buckets).
_SUM = """
local sums = {}
for j = 1, #ARGV do sums[j] = 0 end
for i = 1, #KEYS do
  local values = redis.call('HMGET', KEYS[i], unpack(ARGV))
  for j = 1, #ARGV do
    if values[j] then sums[j] = sums[j] + tonumber(values[j]) end
  end
end
return sums
"""


def counts_of(post: Post) -> dict[str, float]:
    """A post's engagement counts and when they were read (on receipt, else its creation)."""
    t = post.observed_at if post.observed_at is not None else post.created_at
    return {"t": t, "followers": post.followers, "likes": post.likes, "shares": post.shares, "replies": post.replies}


def split_batch(keys: list[str]) -> tuple[list[str], list[str]]:
    """A claimed batch's new posts and engagement updates (storage keys, in order)."""
    fresh = [k for k in keys if not k.startswith(UPDATE_MARK)]
    return fresh, [k[len(UPDATE_MARK):] for k in keys if k.startswith(UPDATE_MARK)]


class Store:
    """Redis access for posts, aggregates, alerts and chat."""

    def __init__(self, client: redis.Redis):
        self.r = client
        self._accept = client.register_script(_ACCEPT)
        self._claim = client.register_script(_CLAIM)
        self._max = client.register_script(_MAX)
        self._add_floats = client.register_script(_ADD_FLOATS)
        self._sum = client.register_script(_SUM)
        self._pass_clock = client.register_script(_PASS_CLOCK)

    # --- posts -------------------------------------------------------------------------
    def accept(self, posts: list[Post], retention_s: int) -> list[int]:
        """Write new posts, or the new engagement counts of stored ones, and queue them for scoring
        in one atomic step; per post 1 = new, 2 = engagement update, 0 = duplicate."""
        if not posts:
            return []
        keys = [POST.format(key=p.key) for p in posts]
        args: list = [retention_s, PENDING, UPDATES]
        for p in posts:
            args += [json.dumps(p.to_dict(), ensure_ascii=False), json.dumps(counts_of(p))]
        states = [int(x) for x in self._accept(keys=keys, args=args)]
        fresh = [s == 1 for s in states]
        pipe = self.r.pipeline(transaction=False)
        pipe.hincrby(STATS, "accepted", sum(fresh))
        seen = {p.channel for p, new in zip(posts, fresh) if new}
        if seen:  # flatline rules: when did each channel last deliver anything (wall clock)
            pipe.hset(CHANNELS, mapping=dict.fromkeys(seen, time.time()))
        pipe.hincrby(STATS, "duplicates", states.count(0))
        pipe.hincrby(STATS, "updates", states.count(2))
        pipe.execute()
        return states

    def request_scoring(self) -> bool:
        """True when the caller should enqueue a scoring job (none is on its way)."""
        return bool(self.r.set(SCORING_REQUESTED, "1", nx=True, ex=10))

    def clear_scoring_request(self) -> None:
        self.r.delete(SCORING_REQUESTED)

    def claim_batch(self, owner: str, size: int) -> list[str]:
        """Post keys for one scoring job; the same ones again if the job is retried."""
        taken = self._claim(keys=[PENDING, BATCH.format(owner=owner), UPDATES], args=[size, UPDATE_MARK])
        return [k.decode() for k in taken]

    def release_batch(self, owner: str) -> None:
        self.r.delete(BATCH.format(owner=owner))

    def requeue_batches(self, is_alive) -> int:
        """Put back the batches of jobs that died for good; returns how many posts moved."""
        moved = 0
        for key in self.r.scan_iter(BATCH.format(owner="*")):
            owner = key.decode().rsplit(":", 1)[1]
            if is_alive(owner):
                continue
            items = self.r.lrange(key, 0, -1)
            if items:
                pipe = self.r.pipeline()
                pipe.rpush(PENDING, *items)
                pipe.delete(key)
                pipe.execute()
                moved += len(items)
        return moved

    def pending_count(self) -> int:
        """Posts waiting to be scored, engagement updates included."""
        return self.r.llen(PENDING) + self.r.llen(UPDATES)

    def load_posts(self, keys: Iterable[str]) -> list[tuple[Post, Scores | None] | None]:
        """Posts (and their scores, once scored) for storage keys; None where expired."""
        pipe = self.r.pipeline(transaction=False)
        for k in keys:
            pipe.hmget(k, "post", "scores")
        out = []
        for raw_post, raw_scores in pipe.execute():
            if raw_post is None:
                out.append(None)
                continue
            scores = Scores.from_dict(json.loads(raw_scores)) if raw_scores else None
            out.append((Post.from_dict(json.loads(raw_post)), scores))
        return out

    def observations(self, keys: Iterable[str]) -> list[tuple[dict | None, dict | None]]:
        """(counts, seen) of posts (storage keys): the newest engagement counts accepted, and the
        (t, reach) of the counts scored; None where not there."""
        pipe = self.r.pipeline(transaction=False)
        for k in keys:
            pipe.hmget(k, "counts", "seen")
        return [tuple(json.loads(v) if v else None for v in row) for row in pipe.execute()]

    def apply_update(self, key: str, change, aggregate_ttl: int, hourly_ttl: int, post_ttl: int) -> dict | None:
        """Score a post's newest engagement counts atomically, once: `change(post, scores, counts, seen)`
        returns None (nothing to do) or a dict of what to write (post, scores, seen, minutes and
        hours increments, top and velocity as (minute, value) or None, at). A concurrent writer (a
        newer update, another worker) makes it run again on fresh data, so nothing counts twice."""
        while True:
            with self.r.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.hmget(key, "post", "scores", "counts", "seen")
                    if raw[0] is None or raw[1] is None:  # expired, or not scored yet (its first scoring catches up)
                        pipe.unwatch()
                        return None
                    post, scores = Post.from_dict(json.loads(raw[0])), Scores.from_dict(json.loads(raw[1]))
                    out = change(post, scores, *(json.loads(v) if v else None for v in raw[2:]))
                    if out is None:
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.hset(key, mapping={"post": json.dumps(out["post"].to_dict(), ensure_ascii=False),
                                            "scores": json.dumps(out["scores"].to_dict(), ensure_ascii=False),
                                            "seen": json.dumps(out["seen"])})
                    self._increment(pipe, lambda m: AGG.format(minute=m), out["minutes"], aggregate_ttl)
                    self._increment(pipe, lambda h: HOUR.format(hour=h), out["hours"], hourly_ttl)
                    if out["top"]:  # only where the post is listed: an expired minute stays expired
                        pipe.zadd(TOP.format(minute=out["top"][0]), {key: out["top"][1]}, xx=True)
                    if out["velocity"]:
                        fast = VELOCITY.format(minute=out["velocity"][0])
                        pipe.zadd(fast, {key: out["velocity"][1]})
                        pipe.expire(fast, post_ttl)
                    pipe.hincrby(STATS, "updates_scored", 1)
                    pipe.execute()
                except redis.WatchError:
                    continue
            self._max(keys=[WATERMARK], args=[out["at"]])
            return out

    def fast_posts(self, minutes: Iterable[int], per_minute: int = 20) -> list[tuple[int, str, float]]:
        """(minute, storage key, reach gained per minute) of the fastest-growing posts updated in
        the given minutes, fastest first."""
        minutes = list(minutes)
        pipe = self.r.pipeline(transaction=False)
        for m in minutes:
            pipe.zrevrange(VELOCITY.format(minute=m), 0, per_minute - 1, withscores=True)
        found = [(m, k.decode(), v) for m, rows in zip(minutes, pipe.execute()) for k, v in rows]
        return sorted(found, key=lambda x: -x[2])

    def get_post(self, post_key: str) -> tuple[Post, Scores | None] | None:
        return self.load_posts([POST.format(key=post_key)])[0]

    def posts(self, post_keys: Iterable[str]) -> list[Post]:
        """The posts behind post keys (source:id) that have not expired, in order."""
        return [item[0] for item in self.load_posts(POST.format(key=k) for k in post_keys) if item is not None]

    def save_scored(
        self,
        keys: list[str],
        scores: list[Scores],
        aggregates: dict[tuple[int, str], float],
        tops: list[tuple[int, str, float]],
        event_time: float,
        aggregate_ttl: int,
        post_ttl: int,
        hourly: dict[tuple[int, str], float] | None = None,
        hourly_ttl: int = 63 * 86400,
        vectors: dict[str, bytes] | None = None,
        seen: dict[str, dict] | None = None,
    ) -> None:
        """Store a scored batch: scores per post (and sentence vectors, storage key -> bytes; the
        observation scored, storage key -> {t, reach}), per-minute and hourly aggregates, and top posts."""
        pipe = self.r.pipeline(transaction=True)
        vectors, seen = vectors or {}, seen or {}
        for k, s in zip(keys, scores):
            fields = {"scores": json.dumps(s.to_dict(), ensure_ascii=False)}
            if k in vectors:
                fields["vec"] = vectors[k]
            if k in seen:
                fields["seen"] = json.dumps(seen[k])
            pipe.hset(k, mapping=fields)
        self._increment(pipe, lambda m: AGG.format(minute=m), aggregates, aggregate_ttl)
        self._increment(pipe, lambda h: HOUR.format(hour=h), hourly or {}, hourly_ttl)
        for minute, post_key, reach in tops:
            pipe.zadd(TOP.format(minute=minute), {post_key: reach})
            pipe.expire(TOP.format(minute=minute), post_ttl)
        pipe.hincrby(STATS, "scored", len(keys))
        pipe.execute()
        self._max(keys=[WATERMARK], args=[event_time])

    def _increment(self, pipe, key_of, amounts: dict[tuple[int, str], float], ttl: int) -> None:
        """Add (bucket, field) -> amount to one hash per bucket (key_of(bucket)), each in one command."""
        per_key: dict[int, list] = {}
        for (bucket, fld), value in amounts.items():
            per_key.setdefault(bucket, []).extend((fld, value))
        for bucket, args in per_key.items():
            self._add_floats(keys=[key_of(bucket)], args=[ttl, *args], client=pipe)

    def watermark(self) -> float:
        return float(self.r.get(WATERMARK) or 0)

    def load_aggregates(self, minutes: Iterable[int]) -> dict[int, dict[str, float]]:
        minutes = list(minutes)
        pipe = self.r.pipeline(transaction=False)
        for m in minutes:
            pipe.hgetall(AGG.format(minute=m))
        return {
            m: {k.decode(): float(v) for k, v in raw.items()} for m, raw in zip(minutes, pipe.execute())
        }

    def load_hours(self, hours: Iterable[int]) -> dict[int, dict[str, float]]:
        """Hourly aggregates (hour = unix seconds // 3600); an hour never written is empty."""
        hours = list(hours)
        pipe = self.r.pipeline(transaction=False)
        for h in hours:
            pipe.hgetall(HOUR.format(hour=h))
        return {h: {k.decode(): float(v) for k, v in raw.items()} for h, raw in zip(hours, pipe.execute())}

    # --- channels ----------------------------------------------------------------------
    def last_seen(self) -> dict[str, float]:
        """Channel -> wall time of its newest accepted post (for flatline rules)."""
        return {k.decode(): float(v) for k, v in self.r.hgetall(CHANNELS).items()}

    def top_posts(self, minutes: Iterable[int], per_minute: int = 20) -> list[tuple[str, float]]:
        """The highest-reach post keys (storage keys) of the given minutes, best first."""
        pipe = self.r.pipeline(transaction=False)
        for m in minutes:
            pipe.zrevrange(TOP.format(minute=m), 0, per_minute - 1, withscores=True)
        found = [(k.decode(), s) for rows in pipe.execute() for k, s in rows]
        return sorted(found, key=lambda kv: -kv[1])

    def stats(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.r.hgetall(STATS).items()}

    # --- alerts ------------------------------------------------------------------------
    def new_alert_id(self) -> int:
        return int(self.r.incr(ALERT_SEQ))

    def save_alert(self, alert: Alert, retention_s: int) -> None:
        """Write a new alert (changes to existing ones go through change_alert)."""
        pipe = self.r.pipeline(transaction=True)
        self._write_alert(pipe, alert, retention_s)
        pipe.execute()

    def get_alert(self, alert_id: int) -> Alert | None:
        raw = self.r.get(ALERT.format(id=alert_id))
        return Alert.from_dict(json.loads(raw)) if raw else None

    def open_alerts_by_fingerprint(self) -> dict[str, Alert]:
        return {a.fingerprint: a for a in self.alerts(open_only=True)}

    def alerts(self, open_only: bool = False, department: str | None = None, limit: int = 200) -> list[Alert]:
        """Alerts, newest first."""
        ids = self.r.zrevrange(ALERTS, 0, limit * 4 - 1)
        if not ids:
            return []
        raws = self.r.mget([ALERT.format(id=i.decode()) for i in ids])
        out = []
        for raw in raws:
            if not raw:
                continue
            a = Alert.from_dict(json.loads(raw))
            if open_only and a.status == AlertStatus.RESOLVED:
                continue
            if department and department not in a.departments:
                continue
            out.append(a)
        return out[:limit]

    def change_alert(self, alert_id: int, change, retention_s: int) -> tuple[str, Alert | None]:
        """Apply change(alert) -> outcome atomically; a concurrent writer makes us retry on fresh data.

        `change` mutates the alert and returns an outcome string, or returns None to leave the
        alert as it is (the outcome is then 'unchanged'). Returns ('missing', None) for no alert.
        """
        key = ALERT.format(id=alert_id)
        while True:
            with self.r.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        return "missing", None
                    alert = Alert.from_dict(json.loads(raw))
                    outcome = change(alert)
                    if outcome is None:
                        pipe.unwatch()
                        return "unchanged", alert
                    pipe.multi()
                    self._write_alert(pipe, alert, retention_s)
                    pipe.execute()
                    return outcome, alert
                except redis.WatchError:
                    continue

    def _write_alert(self, pipe, alert: Alert, retention_s: int) -> None:
        pipe.set(ALERT.format(id=alert.id), json.dumps(alert.to_dict(), ensure_ascii=False), ex=retention_s)
        pipe.zadd(ALERTS, {str(alert.id): alert.created_wall}, nx=True)
        fp_key = ALERT_FP.format(fingerprint=alert.fingerprint)
        if alert.status == AlertStatus.RESOLVED:
            pipe.delete(fp_key)
        else:
            pipe.set(fp_key, alert.id)

    def audit(self, entry: dict[str, Any]) -> None:
        pipe = self.r.pipeline()
        pipe.rpush(AUDIT, json.dumps(entry, ensure_ascii=False))
        pipe.ltrim(AUDIT, -AUDIT_KEEP, -1)
        pipe.execute()

    def audit_log(self, last: int = 100) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.r.lrange(AUDIT, -last, -1)]

    # --- delivery to chat platforms ----------------------------------------------------
    def outbox_push(self, platform: str, destination: str, item: dict[str, Any]) -> None:
        self.r.rpush(OUTBOX.format(platform=platform, destination=destination), json.dumps(item))

    def outbox_head(self, platform: str, destination: str, n: int = 1) -> list[dict[str, Any]]:
        """The oldest n waiting deliveries (fewer when fewer wait)."""
        return [json.loads(raw) for raw in self.r.lrange(OUTBOX.format(platform=platform, destination=destination), 0, n - 1)]

    def outbox_replace_head(self, platform: str, destination: str, item: dict[str, Any]) -> None:
        self.r.lset(OUTBOX.format(platform=platform, destination=destination), 0, json.dumps(item))

    def outbox_pop(self, platform: str, destination: str) -> None:
        self.r.lpop(OUTBOX.format(platform=platform, destination=destination))

    def outbox_size(self, platform: str, destination: str) -> int:
        return self.r.llen(OUTBOX.format(platform=platform, destination=destination))

    def request_delivery(self, platform: str, destination: str) -> bool:
        """True when the caller should enqueue a delivery job for this destination."""
        return bool(self.r.set(DELIVERING.format(platform=platform, destination=destination), "1", nx=True, ex=600))

    def clear_delivery_request(self, platform: str, destination: str) -> None:
        self.r.delete(DELIVERING.format(platform=platform, destination=destination))

    def message_ref(self, alert_id: int, platform: str, destination: str) -> dict[str, Any] | None:
        raw = self.r.hget(ALERT_MESSAGES.format(id=alert_id), f"{platform}|{destination}")
        return json.loads(raw) if raw else None

    def save_message_ref(self, alert_id: int, platform: str, destination: str, ref: dict, retention_s: int) -> None:
        key = ALERT_MESSAGES.format(id=alert_id)
        pipe = self.r.pipeline()
        pipe.hset(key, f"{platform}|{destination}", json.dumps(ref))
        pipe.expire(key, retention_s)
        pipe.execute()

    def save_conversation(self, platform: str, key: str, ref: dict[str, Any]) -> None:
        self.r.set(CONVERSATION.format(platform=platform, key=key), json.dumps(ref))

    def conversation(self, platform: str, key: str) -> dict[str, Any] | None:
        raw = self.r.get(CONVERSATION.format(platform=platform, key=key))
        return json.loads(raw) if raw else None

    # --- silences ----------------------------------------------------------------------
    def add_silence(self, silence: dict[str, Any]) -> str:
        silence_id = secrets.token_hex(4)
        self.r.hset(SILENCES, silence_id, json.dumps({**silence, "id": silence_id}, ensure_ascii=False))
        return silence_id

    def silences(self, now: float) -> list[dict[str, Any]]:
        """Silences still in force; expired ones are removed on the way."""
        out = []
        for sid, raw in self.r.hgetall(SILENCES).items():
            silence = json.loads(raw)
            if silence["until"] <= now:
                self.r.hdel(SILENCES, sid)
            else:
                out.append(silence)
        return out

    def end_silences(self, matchers: dict[str, str], now: float) -> int:
        """End every silence in force with exactly these matchers now; returns how many."""
        ended = [s["id"] for s in self.silences(now) if s["matchers"] == matchers]
        if ended:
            self.r.hdel(SILENCES, *ended)
        return len(ended)

    # --- noise -------------------------------------------------------------------------
    def clock_job(self) -> str | None:
        """Id of the tick job that carries the clock chain, while it is alive."""
        raw = self.r.get(CLOCK)
        return raw.decode() if raw else None

    def pass_clock(self, holder: str | None, successor: str, ttl_s: int) -> bool:
        """Hand the clock chain from `holder` (None: nobody holds it) to `successor`; False if another holds it."""
        return bool(self._pass_clock(keys=[CLOCK], args=[holder or "", successor, ttl_s]))

    # --- rule evaluation ---------------------------------------------------------------
    def rules_lock(self, timeout_s: int = 30):
        """One rule evaluation at a time across all workers."""
        return self.r.lock(RULES_LOCK, timeout=timeout_s, blocking_timeout=timeout_s)

    def once(self, name: str, ttl_s: int) -> bool:
        """True for the first caller with this name within ttl_s, across all processes."""
        return bool(self.r.set(PREFIX + "once:" + name, "1", nx=True, ex=ttl_s))

    def rules_version(self) -> int:
        return int(self.r.get(RULES_VERSION) or 0)

    def bump_rules_version(self) -> int:
        return int(self.r.incr(RULES_VERSION))

    # --- emerging topics ---------------------------------------------------------------
    def add_emerging(
        self, counts: dict[int, dict[str, int]], records: dict[int, list[str]], counts_ttl: int, records_ttl: int
    ) -> None:
        """Add a batch's term counts and post records per bucket, in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        amounts = {(bucket, term): n for bucket, terms in counts.items() for term, n in terms.items()}
        self._increment(pipe, lambda b: EMERGING_TERMS.format(bucket=b), amounts, counts_ttl)
        for bucket, lines in records.items():
            key = EMERGING_POSTS.format(bucket=bucket)
            pipe.rpush(key, *lines)
            pipe.expire(key, records_ttl)
        pipe.execute()

    def emerging_sums(self, buckets: Iterable[int], terms: list[str]) -> dict[str, int]:
        """Each term's count summed over some buckets, added up inside Redis."""
        keys = [EMERGING_TERMS.format(bucket=b) for b in buckets]
        if not keys:
            return dict.fromkeys(terms, 0)
        out: dict[str, int] = {}
        for i in range(0, len(terms), 500):  # Lua's unpack() has a limit on arguments
            chunk = terms[i : i + 500]
            out.update(zip(chunk, (int(v) for v in self._sum(keys=keys, args=chunk))))
        return out

    def emerging_records(self, buckets: list[int]) -> dict[int, list[bytes]]:
        """The post records of some buckets, as stored."""
        pipe = self.r.pipeline(transaction=False)
        for b in buckets:
            pipe.lrange(EMERGING_POSTS.format(bucket=b), 0, -1)
        return dict(zip(buckets, pipe.execute()))

    def emerging_topics(self) -> dict[str, dict[str, Any]]:
        """The emerging topics named so far: id -> {name, terms, first_seen, last_seen}."""
        return {k.decode(): json.loads(v) for k, v in self.r.hgetall(EMERGING_TOPICS).items()}

    def save_emerging_topics(self, entries: dict[str, dict[str, Any]], forget: list[str]) -> None:
        pipe = self.r.pipeline(transaction=True)
        if entries:
            pipe.hset(EMERGING_TOPICS, mapping={k: json.dumps(v, ensure_ascii=False) for k, v in entries.items()})
        if forget:
            pipe.hdel(EMERGING_TOPICS, *forget)
        pipe.execute()

    # --- anomaly rules -----------------------------------------------------------------
    def anomaly_heads(self, rules: list[str]) -> dict[str, dict[str, Any]]:
        """Per anomaly rule: the newest step fed and its series' newest scores (absent: none yet)."""
        pipe = self.r.pipeline(transaction=False)
        for name in rules:
            pipe.hget(ANOMALY.format(rule=name), ANOMALY_HEAD)
        return {name: json.loads(raw) for name, raw in zip(rules, pipe.execute()) if raw}

    def anomaly_series(self, rule: str) -> dict[str, dict[str, Any]]:
        """A rule's series (group as a json list) -> detector state and newest step."""
        raw = self.r.hgetall(ANOMALY.format(rule=rule))
        return {k.decode(): json.loads(v) for k, v in raw.items() if k.decode() != ANOMALY_HEAD}

    def save_anomaly(self, rule: str, head: dict[str, Any], series: dict[str, dict[str, Any]], forget: list[str],
                     ttl_s: int, fresh: bool = False) -> None:
        """Write a rule's head and series in one transaction (fresh: drop everything else first)."""
        key = ANOMALY.format(rule=rule)
        pipe = self.r.pipeline(transaction=True)
        if fresh:
            pipe.delete(key)
        fields = {ANOMALY_HEAD: json.dumps(head)} | {k: json.dumps(v) for k, v in series.items()}
        pipe.hset(key, mapping=fields)
        if forget:
            pipe.hdel(key, *forget)
        pipe.expire(key, ttl_s)
        pipe.execute()

    # --- summaries ---------------------------------------------------------------------
    def window_posts(self, minutes: Iterable[int], per_minute: int) -> list[tuple[int, str, float, Scores | None]]:
        """(minute, storage key, reach, scores) of the highest-reach customer posts of each minute
        (at most per_minute each), in two round trips; expired posts are left out."""
        minutes = list(minutes)
        pipe = self.r.pipeline(transaction=False)
        for m in minutes:
            pipe.zrevrange(TOP.format(minute=m), 0, per_minute - 1, withscores=True)
        found = [(m, k.decode(), reach) for m, rows in zip(minutes, pipe.execute()) for k, reach in rows]
        pipe = self.r.pipeline(transaction=False)
        for _, key, _ in found:
            pipe.hget(key, "scores")
        return [(m, key, reach, Scores.from_dict(json.loads(raw)))
                for (m, key, reach), raw in zip(found, pipe.execute()) if raw]

    def post_vectors(self, keys: Iterable[str]) -> list[bytes | None]:
        """The stored sentence vectors of posts (storage keys); None where there is none."""
        pipe = self.r.pipeline(transaction=False)
        for k in keys:
            pipe.hget(k, "vec")
        return pipe.execute()

    def save_summary(self, chat: str, summary: dict[str, Any], ttl_s: int) -> None:
        self.r.set(SUMMARY.format(chat=chat), json.dumps(summary, ensure_ascii=False), ex=ttl_s)

    def last_summary(self, chat: str) -> dict[str, Any] | None:
        raw = self.r.get(SUMMARY.format(chat=chat))
        return json.loads(raw) if raw else None

    def save_report(self, html: str, ttl_s: int) -> str:
        """Keep a rendered report page under a new random 128-bit id; returns the id."""
        report_id = secrets.token_hex(16)
        self.r.set(REPORT.format(id=report_id), html.encode(), ex=ttl_s)
        return report_id

    def report_page(self, report_id: str) -> str | None:
        raw = self.r.get(REPORT.format(id=report_id))
        return raw.decode() if raw else None

    def save_chart(self, png: bytes, ttl_s: int) -> str:
        """Keep a chart image under a new random 128-bit id; returns the id."""
        chart_id = secrets.token_hex(16)
        self.r.set(CHART.format(id=chart_id), png, ex=ttl_s)
        return chart_id

    def chart_png(self, chart_id: str) -> bytes | None:
        return self.r.get(CHART.format(id=chart_id))

    # --- events and chat ---------------------------------------------------------------
    def publish(self, event: dict[str, Any]) -> None:
        self.r.publish(EVENTS, json.dumps(event, ensure_ascii=False))

    def append_chat(self, department: str, message: dict[str, Any]) -> None:
        key = CHAT.format(department=department)
        pipe = self.r.pipeline()
        pipe.rpush(key, json.dumps(message, ensure_ascii=False))
        pipe.ltrim(key, -CHAT_KEEP, -1)
        pipe.execute()

    def chat_history(self, department: str) -> list[dict[str, Any]]:
        return [json.loads(m) for m in self.r.lrange(CHAT.format(department=department), 0, -1)]

    def secret(self, name: str) -> str:
        """A random secret created once per installation and shared by every process."""
        key = SECRET.format(name=name)
        self.r.set(key, secrets.token_urlsafe(18), nx=True)
        return self.r.get(key).decode()
