"""What a model is given for a rule question: do those passages hold the fact? (issue 13)

    nice .venv/bin/python bench/model_passages.py [--split dev|test]   # ~1 min

With an OpenAI-compatible model the model judges answerability itself (KEINE_AUSSAGE). Which
passages it sees bounds what it can answer. For every wording of bench/questions/rules.yaml
this retrieves as the skill does (bench/qa_common.rule_passages: the rules index with e5
vectors) and compares two ways of choosing the passages for the model:

- the word-overlap bar: only passages with a sentence the reader finds answering, untyped
  (`read(..., typed=False)`), as skills/grounded_answer.py did before session 7;
- model order: those first, then the retrieval's next ones, up to five
  (`grounded_answer.model_order`, what it does now).

It prints, by wording, the share of questions for which the model is asked at all and the share
whose given passages hold the fact (an upper bound for a model's answers, not a measure of one:
no model runs here). Unanswerable questions can only be refused by the model once it is asked.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact, rule_passages  # noqa: E402  (bench/, beside this script)
from qa_sets import rules_index, split_rule_questions  # noqa: E402

from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.grounded_answer import MAX_PASSAGES, model_order  # noqa: E402
from skills.reader import read  # noqa: E402


async def measure(split: str) -> None:
    # (kind, wording) -> [questions, asked (bar), fact given (bar), asked (order), fact (order)]
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    async with rules_index() as index:
        ctx = context(index, ExtractiveGenerator())
        for q in split_rule_questions(split):
            terms, passages = await rule_passages(ctx, q.text)
            answering = read(q.text, passages, about=terms, typed=False).passages()
            by_bar = answering[:MAX_PASSAGES]
            by_order = model_order(answering, len(passages))
            row = rows["answerable" if q.facts else "unanswerable", q.wording]
            row[0] += 1
            row[1] += bool(by_bar)
            row[3] += bool(by_order)
            if q.facts:
                row[2] += any(has_fact(passages[i].chunk.text, q.facts) for i in by_bar)
                row[4] += any(has_fact(passages[i].chunk.text, q.facts) for i in by_order)
    print(f"\n== passages given to a model, {split} split (no model runs: an upper bound)")
    print("  kind / wording              n   asked: bar / order   fact given: bar / order")
    for (kind, wording), (n, a_bar, f_bar, a_ord, f_ord) in sorted(rows.items()):
        fact = f"{f_bar / n:.2f} / {f_ord / n:.2f}" if kind == "answerable" else "—"
        print(f"  {kind:13} {wording:9} {n:5}   {a_bar / n:.2f} / {a_ord / n:.2f}          {fact}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    asyncio.run(measure(parser.parse_args().split))


if __name__ == "__main__":
    main()
