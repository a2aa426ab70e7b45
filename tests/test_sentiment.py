"""Sentiment: readers, `sitroom eval sentiment`, `sitroom train sentiment`, transformers loading, the shipped head."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot import cli
from bot.config import Config, Department, DetectorSettings, SentimentSettings, Source
from bot.evaluation import sentiment as ev
from bot.evaluation.data import DataError, read_sentiment, read_table
from bot.evaluation.training import split
from bot.models import Post, Scores
from detectors.scorer import Scorer
from detectors.sentiment import SentimentAnalyzer, sentiment_model
from detectors.sentiment_features import FeatureSettings, dot, fold, hashed, text_kind
from detectors.sentiment_transformer import map_labels


def post(text: str) -> Post:
    return Post(source="generic", id=str(abs(hash(text))), channel="x_main", text=text, created_at=0.0)


@pytest.fixture(autouse=True)
def _no_second_model(monkeypatch, embedder):
    """The eval and train commands load the sentence model; hand them the session's."""
    from detectors.embedder import Embedder

    monkeypatch.setattr(Embedder, "load", classmethod(lambda cls, name, **kw: embedder))


# --- readers --------------------------------------------------------------------------------


def test_csv_and_tsv_tables_with_quoting_and_extra_columns(tmp_path):
    csv_file = tmp_path / "a.csv"
    csv_file.write_text('id,text,label\n1,"Netz weg, schon wieder",Negative\n2,"two\nlines",neutral\n\n3,ok,positive\n')
    data = read_sentiment(csv_file)
    assert data.format == "table" and data.texts == ["Netz weg, schon wieder", "two\nlines", "ok"]
    assert data.labels == ["negative", "neutral", "positive"]
    tsv = tmp_path / "b.tsv"
    tsv.write_text("label\ttext\npositive\tsuper, danke\n")
    assert read_sentiment(tsv).texts == ["super, danke"]
    rows = list(read_table(csv_file))
    assert [line for line, _ in rows] == [2, 4, 6]  # a quoted newline counts; blank lines are skipped


@pytest.mark.parametrize(
    "content, message",
    [
        ("text,label\ngood,positive\nbad,terrible\n", "a.csv:3: label 'terrible' is not one of negative, neutral, positive"),
        ("text,label\ngood,positive\n,neutral\n", "a.csv:3: the text is empty"),
        ("text,label\ngood,positive\nx,neutral,extra\n", "a.csv:3: expected 2 fields as in the header, got 3"),
        ("words,sentiment\ngood,positive\n", "a.csv:1: cannot tell the format"),
    ],
)
def test_bad_rows_name_their_line(tmp_path, content, message):
    path = tmp_path / "a.csv"
    path.write_text(content)
    with pytest.raises(DataError) as e:
        read_sentiment(path)
    assert e.value.problems[0].startswith(str(tmp_path / message.split(":")[0]))
    assert message.split(":", 1)[1] in e.value.problems[0]


def test_germeval_sb10k_and_potts(tmp_path):
    germeval = tmp_path / "dev.tsv"
    germeval.write_text('id\ttext\trelevance\tsentiment\taspects\n'
                        'http://t/1\tBahn "wieder" zu spät\ttrue\tnegative\tZugfahrt#Haupt:negative\n'
                        'http://t/2\tNeue ICE-Strecke\tfalse\tneutral\t\n')
    data = read_sentiment(germeval)
    assert (data.format, data.texts, data.labels) == ("germeval", ['Bahn "wieder" zu spät', "Neue ICE-Strecke"], ["negative", "neutral"])
    headerless = tmp_path / "test.tsv"
    headerless.write_text("http://t/3\tDanke DB\ttrue\tpositive\t\nhttp://t/4\tx\ttrue\tpositive\n")
    with pytest.raises(DataError, match=r"test.tsv:2: expected 5 tab-separated fields"):
        read_sentiment(headerless)
    sb10k = tmp_path / "sb.tsv"
    sb10k.write_text('385497381925847040\tpositive\t"Toll" :)\n367189542857482240\tneutral\tWir sind da\n')
    assert read_sentiment(sb10k).texts == ['"Toll" :)', "Wir sind da"]
    potts = tmp_path / "potts.tsv"
    potts.write_text("positive\tschön :)\nmixed\tgut und schlecht\nnegative\tmist\nhappy\tja\n")
    with pytest.raises(DataError, match=r"potts.tsv:4: label 'happy'"):
        read_sentiment(potts)
    potts.write_text("positive\tschön :)\nmixed\tgut und schlecht\nnegative\tmist\n")
    data = read_sentiment(potts)
    assert (data.format, data.labels, data.dropped) == ("potts", ["positive", "negative"], {"mixed": 1})


def test_tweeteval_text_and_labels(tmp_path):
    (tmp_path / "val_text.txt").write_text("I love it\nmeh\nawful\n")
    (tmp_path / "val_labels.txt").write_text("2\n1\n0\n")
    data = read_sentiment(tmp_path / "val_text.txt", tmp_path / "val_labels.txt")
    assert data.labels == ["positive", "neutral", "negative"]
    (tmp_path / "mapping.txt").write_text("0\tpositive\n1\tneutral\n2\tnegative\n")  # a mapping beside wins
    assert read_sentiment(tmp_path / "val_text.txt", tmp_path / "val_labels.txt").labels[0] == "negative"
    (tmp_path / "val_labels.txt").write_text("2\n7\n0\n")
    with pytest.raises(DataError, match=r"val_labels.txt:2: label '7'"):
        read_sentiment(tmp_path / "val_text.txt", tmp_path / "val_labels.txt")
    (tmp_path / "val_labels.txt").write_text("2\n1\n")
    with pytest.raises(DataError, match="has 2 labels but .* has 3 lines"):
        read_sentiment(tmp_path / "val_text.txt", tmp_path / "val_labels.txt")


def test_split_is_stratified_and_fixed():
    labels = ["neutral"] * 50 + ["negative"] * 20 + ["positive"] * 10
    train, held = split(labels, 0.2, seed=0)
    assert sorted(train + held) == list(range(80)) and not set(train) & set(held)
    assert [sum(labels[i] == c for i in held) for c in ("neutral", "negative", "positive")] == [10, 4, 2]
    assert split(labels, 0.2, seed=0) == (train, held) and split(labels, 0.2, seed=1) != (train, held)


# --- metrics and the eval command -----------------------------------------------------------


def test_metrics_by_hand():
    gold = ["negative", "negative", "neutral", "positive", "positive", "positive"]
    said = ["negative", "neutral", "neutral", "positive", "negative", "positive"]
    m = ev.metrics(gold, said)
    # negative: P 1/2 R 1/2 F 1/2; neutral: P 1/2 R 1 F 2/3; positive: P 1 R 2/3 F 4/5
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["macro_recall"] == pytest.approx((1 / 2 + 1 + 2 / 3) / 3)
    assert m["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 4 / 5) / 3)


def test_eval_command_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SITROOM_CONFIG", str(tmp_path / "absent.yaml"))  # the built-in defaults: no topics
    path = tmp_path / "small.csv"
    path.write_text(
        "text,label\n"
        "Worst customer service ever. Total scam,negative\n"       # lexicon: negative
        '"Thanks for the quick fix, great job!",positive\n'        # lexicon: positive
        "When does the new tariff start?,neutral\n"                # lexicon: neutral
        '"I love the new plan, excellent value",neutral\n'         # lexicon: positive (gold differs)
    )
    assert cli.main(["eval", "sentiment", str(path), "--model", "lexicon"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    # negative P1 R1; neutral P1 R1/2 F2/3; positive P1/2 R1 F2/3
    assert json.loads(out[-1]) == {"accuracy": 0.75, "macro_f1": round((1 + 2 / 3 + 2 / 3) / 3, 4),
                                   "macro_recall": round((1 + 0.5 + 1) / 3, 4), "n": 4}
    assert any(line.split()[:2] == ["neutral", "1.000"] for line in out)  # the per-class table


def test_eval_command_reports_a_bad_row(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nfine,positive\nhmm,meh\n")
    assert cli.main(["eval", "sentiment", str(path)]) == 2
    assert f"{path}:3: label 'meh'" in capsys.readouterr().err


# --- training -------------------------------------------------------------------------------


def _fruit_data(tmp_path):
    """Made-up labels no real model would give: bananas are bad, apples good, pears neither."""
    rows = ["text,label"]
    for i in range(25):
        rows += [f"I got a banana number {i} today,negative", f"I got an apple number {i} today,positive",
                 f"I got a pear number {i} today,neutral"]
    path = tmp_path / "fruit.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_command_writes_a_head_the_scorer_uses(tmp_path, embedder, capsys):
    out = tmp_path / "head"
    assert cli.main(["train", "sentiment", str(_fruit_data(tmp_path)), "--lang", "en", "--out", str(out)]) == 0
    info = json.loads((out / "head.json").read_text())
    assert info["languages"]["en"]["labels"] == {"negative": 25, "neutral": 25, "positive": 25}
    assert not list(out.glob("*.pkl")) and (out / "en.npz").is_file()

    cfg_file = tmp_path / "config.yaml"
    cfg_file.write_text("organisation: T\ndepartments: [{name: noc, title: NOC, language: en}]\n"
                        "sources: [{name: x_main, platform: x, account: telco}]\ndetectors: {sentiment: {model: head}}\n")
    from bot import config

    cfg = config.load(cfg_file)
    assert sentiment_model(cfg) == str(out.resolve())  # relative to the config file
    scorer = Scorer.from_config(cfg, embedder=embedder)
    texts = ["Yesterday I got a banana", "Yesterday I got an apple", "Yesterday I got a pear"]
    scores = scorer.score([post(t) for t in texts])
    assert [s.sentiment for s in scores] == ["negative", "positive", "neutral"]
    default = SentimentAnalyzer("default", embedder)
    assert SentimentAnalyzer(str(out), embedder).head.languages["de"] is not None  # German falls back to the shipped head
    before = [default.probabilities([t], ["en"])[0] for t in texts]
    assert before[0].argmax() != 0  # the shipped head does not find bananas negative


def test_two_files_give_an_expert_each_and_a_domain_model(tmp_path, embedder, capsys):
    """The same word means opposite things in two sources; the domain model tells the sources apart."""
    shop, forum = tmp_path / "shop.csv", tmp_path / "forum.csv"
    shop_rows, forum_rows = ["text,label"], ["text,label"]
    for i in range(25):  # in the shop reviews bananas are good; on the forum they are bad
        shop_rows += [f"Review {i}: the banana arrived fresh and ripe,positive", f"Review {i}: the pear arrived on time,neutral",
                      f"Review {i}: the apple arrived broken and rotten,negative"]
        forum_rows += [f"lol banana again #{i} smh,negative", f"lol pear again #{i},neutral", f"lol apple again #{i} yay,positive"]
    shop.write_text("\n".join(shop_rows) + "\n")
    forum.write_text("\n".join(forum_rows) + "\n")
    out = tmp_path / "head"
    assert cli.main(["train", "sentiment", str(shop), str(forum), "--lang", "en", "--out", str(out)]) == 0
    info = json.loads((out / "head.json").read_text())["languages"]["en"]
    assert info["experts"] == 2 and len(info["trained_on"]) == 2
    analyzer = SentimentAnalyzer(str(out), embedder)
    head = analyzer.head.languages["en"]
    assert head.expert_w.shape == (FeatureSettings().expert_features, 6) and head.domain_w.shape[1] == 2
    texts = ["Review 99: the banana arrived fresh and ripe", "lol banana again #99 smh"]
    p = analyzer.probabilities(texts, ["en", "en"])
    assert [int(i) for i in p.argmax(axis=1)] == [2, 0]


def test_a_head_survives_saving_with_8_bit_weights(tmp_path):
    from detectors.sentiment_head import LanguageHead

    rng = np.random.default_rng(1)
    settings = FeatureSettings()
    experts, sources = 2, 3
    n_parts = 3 + 3 + 3 * experts + 1
    width = n_parts + 4 + n_parts * 4 + sources + n_parts * sources  # stack_inputs with the domain
    plain_width = width - 3 - 3 * 4 - 3 * sources
    head = LanguageHead(
        char_w=rng.normal(size=(settings.n_features, 3)), char_b=rng.normal(size=3),
        emb_w=rng.normal(size=(8, 3)), emb_b=rng.normal(size=3),
        expert_w=rng.normal(size=(settings.expert_features, 3 * experts)), expert_b=rng.normal(size=3 * experts),
        domain_w=rng.normal(size=(settings.domain_features, sources)), domain_b=rng.normal(size=sources),
        stack_w=rng.normal(size=(width, 3)) * 0.3, stack_b=np.zeros(3), plain_w=rng.normal(size=(plain_width, 3)) * 0.3, plain_b=np.zeros(3),
    )
    head.save(tmp_path / "x.npz")
    with np.load(tmp_path / "x.npz", allow_pickle=False) as z:
        assert z["char_w_q"].dtype == np.int8 and "char_w" not in z.files
    loaded = LanguageHead.load(tmp_path / "x.npz")
    texts = ["Kein Netz seit heute morgen, unglaublich", "Great support, thanks!", "ok", "@telekom warum?? https://t.co/x"]
    features, kind = hashed(texts), text_kind(texts)
    vectors, polarity = rng.normal(size=(4, 8)), np.array([-0.5, 0.5, 0.0, -0.1])
    for v in (vectors, None):
        before = np.exp(head.log_probabilities(features, kind, v, polarity))
        after = np.exp(loaded.log_probabilities(features, kind, v, polarity))
        assert np.allclose(before.sum(axis=1), 1) and np.abs(before - after).max() < 0.05
    assert np.abs(loaded.char_w - head.char_w).max() <= np.abs(head.char_w).max() / 254 + 1e-6


def test_folded_features_add_up_colliding_columns():
    r, c, v = hashed(["Netz weg!!! schon wieder kein Netz"])
    w = np.random.default_rng(2).normal(size=(16, 2))
    dense = np.zeros(16)
    np.add.at(dense, c % 16, v)
    assert np.allclose(dot(fold((r, c, v), 16), 1, w)[0], dense @ w)


def test_speed_only_needs_no_data_and_ends_with_json(capsys):
    from bench.sentiment import speed_only, synthetic_posts

    assert synthetic_posts(50) == synthetic_posts(50) and {lang for _, lang in zip(*synthetic_posts(4))} <= {"de", "en"}
    texts, langs = synthetic_posts(6)
    assert langs == ["en", "de"] * 3 and all(texts)
    assert speed_only(200, batch=64) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["posts"] == 200 and last["sentiment_posts_per_s"] > 0 and last["sentiment_rss_mb"] >= 0


def test_train_refuses_too_few_labels(tmp_path, capsys):
    path = tmp_path / "few.csv"
    path.write_text("text,label\n" + "".join(f"good {i},positive\nbad {i},negative\n" for i in range(6)) + "meh,neutral\n")
    assert cli.main(["train", "sentiment", str(path), "--lang", "en", "--out", str(tmp_path / "h")]) == 2
    assert "each label needs at least 5 texts" in capsys.readouterr().err


# --- the transformers path ------------------------------------------------------------------


def _tiny_classifier(path, id2label):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "network", "is", "down", "kein", "netz"]
    (path.parent / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(vocab_file=str(path.parent / "vocab.txt")).save_pretrained(path)
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=64, num_labels=len(id2label), id2label=id2label,
                        label2id={v: k for k, v in id2label.items()})
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # whatever the text, the class with id 1 wins
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 4.0] + [0.0] * (len(id2label) - 2)))
    model.save_pretrained(path)


def test_a_local_sequence_classification_model_is_mapped_by_label_names(tmp_path):
    model_dir = tmp_path / "tiny"
    _tiny_classifier(model_dir, {0: "POSITIVE", 1: "Negative"})  # two labels, in an unusual order
    analyzer = SentimentAnalyzer(str(model_dir), batch_size=2)
    scores = [Scores(language="de"), Scores(language="en"), Scores()]
    analyzer.score([post("kein netz"), post("the network is down"), post("")], scores)
    assert [s.sentiment for s in scores] == ["negative"] * 3
    assert all(-1 < s.sentiment_score < -0.9 for s in scores)
    p = analyzer.probabilities(["the network", "kein netz netz netz"], ["en", "de"])
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1) and np.all(p[:, 1] == 0)


def test_label_names_map_to_ours():
    assert map_labels({0: "negative", 1: "neutral", 2: "positive"}) == [0, 1, 2]
    assert map_labels({"0": "LABEL_NEG", "1": "pos"}) == [0, 2]
    assert map_labels({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)}) == [0, 0, 1, 2, 2]
    with pytest.raises(ValueError, match="cannot map the model's labels \\['label_0'"):
        map_labels({0: "LABEL_0", 1: "positive"})


def test_config_names_the_sentiment_model():
    assert DetectorSettings().sentiment.model == "default"
    with pytest.raises(ValueError):
        SentimentSettings(model="")
    cfg = Config(organisation="T", departments=[Department(name="noc", title="NOC", language="en")],
                 sources=[Source(name="x_main", platform="x", account="telco")], detectors={"sentiment": {"model": "lexicon"}})
    assert sentiment_model(cfg) == "lexicon"


# --- the shipped head -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Seit drei Tagen kein Netz, das ist eine Frechheit!", "de", "negative"),
        ("Vielen Dank für die schnelle Hilfe, super Service!", "de", "positive"),
        ("Die Bahn ist schon wieder zu spät, total nervig", "de", "negative"),
        ("Worst customer service ever, I am so angry", "en", "negative"),
        ("Thank you so much, the new phone is amazing!", "en", "positive"),
    ],
)
def test_the_shipped_head_on_clear_cases(text, language, expected, embedder):
    analyzer = SentimentAnalyzer("default", embedder)
    assert analyzer.uses_vectors
    scores = [Scores(language=language)]
    analyzer.score([post(text)], scores)  # embeds the text itself: no vectors given
    assert scores[0].sentiment == expected
    assert (scores[0].sentiment_score < -0.3) if expected == "negative" else (scores[0].sentiment_score > 0.3)


def test_the_shipped_head_uses_the_given_embeddings_and_works_without(embedder):
    analyzer = SentimentAnalyzer("default", embedder)
    texts = ["Kein Netz seit heute morgen, unglaublich", "Great support, thanks!", "ok"]
    vectors = embedder.encode(texts)
    langs = ["de", "en", "und"]
    given = analyzer.probabilities(texts, langs, vectors)
    assert np.allclose(given, analyzer.probabilities(texts, langs))  # same as embedding them itself
    plain = SentimentAnalyzer("default").probabilities(texts, langs)  # no embedder: n-grams and lexicon
    assert plain.shape == (3, 3) and np.allclose(plain.sum(axis=1), 1) and not np.allclose(plain, given)
    assert [int(i) for i in plain.argmax(axis=1)[:2]] == [0, 2]


def test_hashed_features_are_stable_and_batch_independent():
    texts = ["Netz weg!!!", "@telekom danke 👍 https://t.co/x", ""]
    r, c, v = hashed(texts)
    assert np.allclose(np.bincount(r, weights=v * v, minlength=3)[:2], 1.0)  # unit rows; the empty one is 0
    w = np.random.default_rng(0).normal(size=(FeatureSettings().n_features, 3))
    together = dot((r, c, v), 3, w)
    alone = np.vstack([dot(hashed([t]), 1, w) for t in texts])
    assert np.allclose(together, alone)
    assert hashed(["Netz weg"])[1].tolist() == hashed(["Netz weg"])[1].tolist()


def test_evaluating_the_head_on_its_own_training_file_says_so():
    from types import SimpleNamespace

    from bot.evaluation.sentiment import fitted_on
    from detectors.sentiment import SentimentAnalyzer

    scorer = SimpleNamespace(detectors=[SentimentAnalyzer("default")])
    assert fitted_on(scorer, "../shared/eval-data/GermEval2017/dev.tsv").startswith("dev.tsv (")
    assert fitted_on(scorer, "holdout-germeval.csv") is None
    assert fitted_on(SimpleNamespace(detectors=[SentimentAnalyzer("lexicon")]), "dev.tsv") is None
