"""Everything a sitroom process needs, created once: config, store, rules, queues."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import redis
from rq import Queue

from bot import config as config_mod
from bot import redisconn
from bot.config import Config
from bot.store import Store
from bot.texts import say
from bot.yamlfile import YamlError
from rules import loader as rules_loader

log = logging.getLogger("sitroom")
SCORING_QUEUE = "sitroom-scoring"


@dataclass
class Context:
    cfg: Config
    redis: redis.Redis
    store: Store
    rules: list
    scoring: Queue
    redis_url: str
    rules_path: Path = field(default=Path("rules"))
    adapters: dict | None = None  # chat platform adapters, made on first use (bot.platforms.adapters)
    rules_version: int = 0  # the store's rules version these rules were loaded at
    rules_signature: tuple = ()  # the rule files' names, times and sizes when they were loaded

    @classmethod
    def create(cls, config_path: str | Path | None = None, redis_url: str | None = None) -> "Context":
        """Load and validate config and rules, connect to Redis; raises YamlError on bad files."""
        cfg = config_mod.load(config_path)
        rules_path = config_mod.rules_dir(cfg)
        rules = rules_loader.load(rules_path, cfg)
        redis_url = redis_url or redisconn.url()
        client = redisconn.connect(redis_url)
        queue = Queue(SCORING_QUEUE, connection=client)
        ctx = cls(cfg, client, Store(client), rules, queue, redis_url, rules_path)
        ctx.rules_signature = rules_loader.signature(rules_path)
        return ctx

    def follow_rules(self) -> None:
        """Reload the rules when their files changed or an admin reloaded them; keep the old ones if broken."""
        version, files = self.store.rules_version(), rules_loader.signature(self.rules_path)
        if (version, files) == (self.rules_version, self.rules_signature):
            return
        self.rules_version, self.rules_signature = version, files
        try:
            self.rules = rules_loader.load(self.rules_path, self.cfg)
            log.info("rules loaded: %d rules", len(self.rules))
        except YamlError as e:
            log.error("rules not reloaded, the last good ones keep running:\n%s", e)
            digest = hashlib.sha1(str(e.problems).encode()).hexdigest()  # the same in every process
            if self.store.once("rules-error:" + digest, 86400):  # one warning, not one per worker
                from bot import notify

                notify.admins(self, "⚠️ " + say("rules.invalid", "en", problems="\n".join(e.problems[:10])))

    def department_for(self, platform: str, channel_id: str):
        """The department whose channel on `platform` this is; None for direct messages."""
        from bot.platforms import destination_id

        for dept in self.cfg.departments:
            target = getattr(dept.destinations, platform, None)
            if target is not None and destination_id(platform, target) == str(channel_id):
                return dept
        return None

    def department_language(self, name: str | None) -> str:
        dept = self.cfg.department(name) if name else None
        return dept.language if dept else "en"
