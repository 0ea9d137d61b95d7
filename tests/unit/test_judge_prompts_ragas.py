"""The judge's prompts are ragas' faithfulness prompts: rendered byte for byte as ragas does."""

from __future__ import annotations

import pytest

from llmops.eval._judge_prompts import statements_prompt, verdicts_prompt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_vendored_prompts_render_exactly_like_ragas() -> None:
    util = pytest.importorskip("ragas.metrics.collections.faithfulness.util")
    answer = "Einstein was born in Germany in 1879. He developed relativity."
    question = "Who was Einstein?"
    ours = statements_prompt(answer, question)
    theirs = util.StatementGeneratorPrompt().to_string(
        util.StatementGeneratorInput(question=question, answer=answer)
    )
    assert ours == theirs
    context = "Albert Einstein (born 14 March 1879 in Ulm) was a German-born physicist."
    statements = ["Einstein was born in Germany.", "He was born in 1879."]
    ours = verdicts_prompt(context, statements)
    theirs = util.NLIStatementPrompt().to_string(
        util.NLIStatementInput(context=context, statements=statements)
    )
    assert ours == theirs
