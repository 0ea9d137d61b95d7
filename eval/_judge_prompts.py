"""ragas' faithfulness prompts (claims, then NLI verdicts) and a forgiving parser for the replies.

The instructions, few-shot examples and output schemas are those of ragas 0.4.3
(``ragas/metrics/collections/faithfulness/util.py``, Apache-2.0), rendered exactly the way its
``BasePrompt.to_string`` renders them. They are copied rather than imported because ragas'
``Faithfulness`` metric returns only the score (the per-claim verdicts we report are private to
it), insists on its own LLM client instead of our gateway, and ``import ragas`` pulls in
langchain, which takes seconds and breaks with some langchain-community releases.

Small models wrap their JSON in prose or code fences, drop fields, or answer ``"yes"``: the
parser accepts what it can read unambiguously and raises :class:`ModelCallError` naming the step
and quoting the reply for anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from llmops._errors import ModelCallError

_REPLY_QUOTE = 200

# Model docstrings and field descriptions are part of the JSON schema in the prompt: keep them
# as ragas wrote them.


class StatementGeneratorInput(BaseModel):
    """Input model for statement generation."""

    question: str = Field(..., description="The question being answered")
    answer: str = Field(..., description="The answer text to break down into statements")


class StatementGeneratorOutput(BaseModel):
    """Structured output for statement generation."""

    statements: list[str] = Field(..., description="The generated statements from the answer")


class StatementFaithfulnessAnswer(BaseModel):
    """Individual statement with reason and verdict for NLI evaluation."""

    statement: str = Field(..., description="the original statement, word-by-word")
    reason: str = Field(..., description="the reason of the verdict")
    verdict: int = Field(..., description="the verdict(0/1) of the faithfulness")


class NLIStatementInput(BaseModel):
    """Input model for NLI statement evaluation."""

    context: str = Field(..., description="The context to evaluate statements against")
    statements: list[str] = Field(..., description="The statements to judge for faithfulness")


class NLIStatementOutput(BaseModel):
    """Structured output for NLI statement evaluation."""

    statements: list[StatementFaithfulnessAnswer] = Field(
        ..., description="Evaluated statements with verdicts"
    )


STATEMENTS_INSTRUCTION = (
    "Given a question and an answer, analyze the complexity of each sentence in the answer. "
    "Break down each sentence into one or more fully understandable statements. "
    "Ensure that no pronouns are used in any statement."
)
STATEMENTS_EXAMPLE = (
    StatementGeneratorInput(
        question="Who was Albert Einstein and what is he best known for?",
        answer="He was a German-born theoretical physicist, widely acknowledged to be one of the "
        "greatest and most influential physicists of all time. He was best known for developing "
        "the theory of relativity, he also made important contributions to the development of "
        "the theory of quantum mechanics.",
    ),
    StatementGeneratorOutput(
        statements=[
            "Albert Einstein was a German-born theoretical physicist.",
            "Albert Einstein is recognized as one of the greatest and most influential "
            "physicists of all time.",
            "Albert Einstein was best known for developing the theory of relativity.",
            "Albert Einstein made important contributions to the development of the theory of "
            "quantum mechanics.",
        ]
    ),
)
VERDICTS_INSTRUCTION = (
    "Your task is to judge the faithfulness of a series of statements based on a given context. "
    "For each statement you must return verdict as 1 if the statement can be directly inferred "
    "based on the context or 0 if the statement can not be directly inferred based on the "
    "context."
)
_JOHN = (
    "John is a student at XYZ University. He is pursuing a degree in Computer Science. He is "
    "enrolled in several courses this semester, including Data Structures, Algorithms, and "
    "Database Management. John is a diligent student and spends a significant amount of time "
    "studying and completing assignments. He often stays late in the library to work on his "
    "projects."
)
_JOHN_VERDICTS = [
    ("John is majoring in Biology.",
     "John's major is explicitly stated as Computer Science, not Biology.", 0),
    ("John is taking a course on Artificial Intelligence.",
     "The context mentions courses in Data Structures, Algorithms, and Database Management, "
     "but does not mention Artificial Intelligence.", 0),
    ("John is a dedicated student.",
     "The context states that John is a diligent student who spends a significant amount of "
     "time studying and completing assignments.", 1),
    ("John has a part-time job.",
     "There is no information in the context about John having a part-time job.", 0),
]  # fmt: skip
VERDICTS_EXAMPLE = (
    NLIStatementInput(context=_JOHN, statements=[s for s, _, _ in _JOHN_VERDICTS]),
    NLIStatementOutput(
        statements=[
            StatementFaithfulnessAnswer(statement=s, reason=r, verdict=v)
            for s, r, v in _JOHN_VERDICTS
        ]
    ),
)


def _render(instruction: str, example: tuple[BaseModel, BaseModel], data: BaseModel) -> str:
    """ragas ``BasePrompt.to_string``: instruction, JSON schema, one example, then the input."""
    schema = json.dumps(type(example[1]).model_json_schema())
    examples = (
        "--------EXAMPLES-----------\n"
        f"Example 1\nInput: {example[0].model_dump_json(indent=4)}\n"
        f"Output: {example[1].model_dump_json(indent=4)}"
    )
    return f"""{instruction}
Please return the output in a JSON format that complies with the following schema as specified in JSON Schema:
{schema}Do not use single quotes in your response but double quotes,properly escaped with a backslash.

{examples}
-----------------------------

Now perform the same with the following input
input: {data.model_dump_json(indent=4, exclude_none=True)}
Output: """  # noqa: E501 - ragas' prompt text, verbatim


def statements_prompt(answer: str, question: str) -> str:
    """The claim-extraction prompt for an answer (and the question it answers, if known)."""
    data = StatementGeneratorInput(question=question, answer=answer)
    return _render(STATEMENTS_INSTRUCTION, STATEMENTS_EXAMPLE, data)


def verdicts_prompt(context: str, statements: list[str]) -> str:
    """The NLI prompt: one verdict (1 supported, 0 not) and a reason per statement."""
    data = NLIStatementInput(context=context, statements=statements)
    return _render(VERDICTS_INSTRUCTION, VERDICTS_EXAMPLE, data)


def _unparsable(step: str, reply: str, why: str) -> ModelCallError:
    quoted = reply.strip()[:_REPLY_QUOTE]
    return ModelCallError(f"judge {step}: {why}; the reply starts {quoted!r}")


def _first_json(reply: str, step: str) -> Any:
    """The first JSON object or array in the reply (after any prose or code fence)."""
    text = re.sub(r"```(?:json)?", "", reply)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, (dict, list)):
            return value
    raise _unparsable(step, reply, "no JSON object in the reply")


def parse_statements(reply: str) -> list[str]:
    """The statements of a claim-extraction reply (``{"statements": [...]}`` or a bare list).

    Raises:
        ModelCallError: The reply holds no readable list of statements.
    """
    value = _first_json(reply, "claims")
    items = value.get("statements") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise _unparsable("claims", reply, "no 'statements' list in the JSON")
    if not all(isinstance(item, str) for item in items):
        raise _unparsable("claims", reply, "'statements' must be a list of strings")
    return [item.strip() for item in items if item.strip()]


_TRUE = {"1", "yes", "true", "supported", "faithful"}
_FALSE = {"0", "no", "false", "unsupported", "not supported", "unfaithful"}


def _verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    return None


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _verdict_items(reply: str) -> list[dict[str, Any]]:
    value = _first_json(reply, "verdicts")
    items = value.get("statements") if isinstance(value, dict) else value
    if isinstance(value, dict) and "verdict" in value:
        items = [value]  # one statement, answered without the list around it
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _unparsable("verdicts", reply, "no 'statements' list of objects in the JSON")
    return items


def parse_verdicts(reply: str, statements: list[str]) -> list[tuple[bool, str]]:
    """One ``(supported, reason)`` per statement, in the statements' order.

    Verdicts are matched by position when the reply has one per statement, else by the
    statement text (ignoring case and punctuation).

    Raises:
        ModelCallError: The reply is not JSON, a verdict is not 0/1, or a statement got none.
    """
    items = _verdict_items(reply)
    by_text = {_normalised(str(i.get("statement", ""))): i for i in items}
    in_order = len(items) == len(statements)
    judged: list[tuple[bool, str]] = []
    for index, statement in enumerate(statements):
        item = items[index] if in_order else by_text.get(_normalised(statement))
        if item is None:
            raise _unparsable(
                "verdicts", reply, f"no verdict for claim {index + 1} ({statement[:80]!r})"
            )
        supported = _verdict(item.get("verdict"))
        if supported is None:
            raise _unparsable(
                "verdicts",
                reply,
                f"verdict {item.get('verdict')!r} for claim {index + 1} is not 0/1",
            )
        judged.append((supported, str(item.get("reason") or "").strip()))
    return judged
