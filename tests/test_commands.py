"""The command layer answers in the language of the question, never with a stack trace."""

import subprocess
import sys

import pytest

from bot import commands, ingest
from bot.models import Post
from tests.test_pipeline import T0, outage_posts


def ask(ctx, text, department="network", user="anna"):
    return commands.handle(ctx, commands.Request(text, user, department, "test"))


@pytest.mark.parametrize(
    "text, lang",
    [("what is happening in Berlin?", "en"), ("was ist los in Köln?", "de"), ("open alerts", "en"),
     ("offene Alarme", "de"), ("wer hat Bereitschaft?", "de"), ("who is on call?", "en")],
)
def test_answers_in_the_language_of_the_question(ctx, text, lang):
    assert ask(ctx, text, department="security" if lang == "de" else "network").lang == lang


def test_help_and_unknown_give_examples(ctx):
    assert "ack 42" in ask(ctx, "help", "security").text
    assert "offene Alarme" in ask(ctx, "hilfe").text
    reply = ask(ctx, "asdf qwerty ###")
    assert "hilfe" in reply.text  # network is a German department


def test_region_question_reports_counts_topics_and_alerts(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    reply = ask(ctx, "was ist los in Koeln?")  # a region's summary (tests/test_summary.py has the details)
    lines = reply.text.splitlines()
    assert lines[0].startswith("🔴 Kritisch – Köln/Bonn, letzte 1h (") and lines[1].startswith("30 Beiträge")
    assert "Themen: Netzstörung (30)" in reply.text
    assert "Alarm #1 (KRITISCH)" in reply.text and [a.id for a in reply.alerts] == [1]
    assert "don't know the region" in ask(ctx, "what's happening in Atlantis?").text


def test_open_alerts_and_topics(ctx, drain):
    assert ask(ctx, "open alerts", "security").text == "No open alerts. 🎉"
    ingest.accept(ctx, outage_posts())
    ingest.accept(ctx, [Post("generic", "b1", "fb_telvia", "Meine Rechnung ist viel zu hoch", T0 + 100)])
    drain()
    reply = ask(ctx, "open alerts", "security")
    assert reply.text.startswith("1 open alert:") and "#1 CRITICAL" in reply.text
    topics = ask(ctx, "topics", "security").text.splitlines()
    assert topics[0].startswith("Topics in the last 1h")
    assert any("30" in line for line in topics[1:])


def test_ack_without_number_asks_which(ctx):
    assert "ack" in ask(ctx, "ack").text


def test_ack_unknown_alert(ctx):
    assert ask(ctx, "ack 999", "security").text == "There is no alert #999."


def test_oncall_lists_the_department(ctx):
    assert ask(ctx, "who is on call?", "security").text.startswith("Security")


def test_sitroom_ask_prints_the_answer(ctx, redis_url, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "help", "--department", "security"],
        capture_output=True, text=True, timeout=60,
        env={**__import__("os").environ, "REDIS_URL": redis_url, "SITROOM_DATA_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    assert "open alerts" in run.stdout


def test_summaries_and_time_windows_in_both_languages(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    de = ask(ctx, "Zusammenfassung Netzausfall").text
    lines = de.splitlines()
    assert lines[0].startswith("🔴 Kritisch – Netzstörung, letzte 1h (") and lines[1].startswith("30 Beiträge")
    assert "Wo: Köln/Bonn (30)" in de and "Stimmung: 100 % negativ" in lines
    assert lines[-1].startswith("Alarm #1 (KRITISCH)")
    en = ask(ctx, "what's trending about the outage in the last 2 hours?", "security")
    assert en.lang == "en" and en.text.startswith("🔴 Critical – Network outage, last 2h (")
    assert "Mood: 100% negative" in en.text.splitlines()
    quiet = ask(ctx, "what's trending about the recall in the last 2 hours?", "security").text.splitlines()
    assert quiet[0].startswith("🟢 Normal – Device recall / product safety, last 2h (")
    assert quiet[1:] == ["No posts in this period.", "No open alert about it."]
    assert ask(ctx, "was ist los in Köln in den letzten 3 Stunden?").text.splitlines()[1].startswith("30 Beiträge")
    assert "don't know the topic" in ask(ctx, "summary of unicorns", "security").text
    assert ask(ctx, "Zusammenfassung").text.startswith("Zusammenfassung zu welchem Thema?")


def test_admins_reload_rules_and_broken_rules_change_nothing(ctx, tmp_path):
    import shutil

    from tests.conftest import ROOT

    folder = tmp_path / "rules"
    shutil.copytree(f"{ROOT}/rules", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    ctx.rules_path = folder
    assert ask(ctx, "reload rules", "network", user="jonas.becker").text == "Only admins can reload the rules."
    (folder / "extra.yaml").write_text("rules:\n  - name: x\n    type: keyword\n    any: [a]\n    departments: [nobody]\n")
    def admin(text):
        return commands.handle(ctx, commands.Request(text, "mia.hartmann", "social", "room"))

    broken = admin("reload rules")
    assert broken.text.startswith("The rules have errors; the previous ones stay active:")
    assert f"{folder / 'extra.yaml'}:2: rules[0]: departments: unknown department 'nobody'" in broken.text
    assert ctx.store.rules_version() == 0
    (folder / "extra.yaml").write_text("rules:\n  - name: x\n    type: keyword\n    any: [a]\n    departments: [social]\n")
    assert admin("Regeln neu laden").text == f"Regeln neu geladen: {len(ctx.rules)} Regeln aktiv."
    assert "x" in [r.name for r in ctx.rules]
    assert ctx.store.rules_version() == 1
    from bot.context import Context

    other = Context.create(ctx.cfg._path, redis_url=ctx.redis_url)  # another worker
    other.rules_path = folder
    other.follow_rules()
    assert "x" in [r.name for r in other.rules]


def test_explain_an_alert_and_list_rules(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    en = ask(ctx, "explain 1", "security").text.splitlines()
    assert en[0].startswith("Alert #1 comes from rule “network-outage-surge” (spike) for Network Operations:")
    assert en[1] == ("Measured: 30 posts in 20m; in the 3h before, 0 per 20m on average. "
                     "It fires at 4× that and at least 8 posts.")
    assert en[2] == "Filters: topic = Network outage, region = Köln/Bonn"
    de = ask(ctx, "Erkläre Alarm 1").text
    assert de.startswith("Alarm #1 kommt von der Regel „network-outage-surge“ (spike) für Network Operations")
    assert "30 Beiträge in 20m" in de
    assert ask(ctx, "explain 99", "security").text == "There is no alert #99."
    listed = ask(ctx, "rules", "security").text.splitlines()
    assert listed[0] == f"{len(ctx.rules)} rules:" and "• network-outage-surge (spike) → network" in listed
