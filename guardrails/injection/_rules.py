"""Named rules for known prompt-injection patterns, matched against normalised text.

Each rule is one regular expression over the output of
:func:`llmops.guardrails.injection._normalize.normalize` (lower case, single spaces, obfuscation
undone). A rule firing is evidence, not a verdict: the detector weighs every rule by a weight
learnt on the training data and adds the classifier's score. The patterns bound their gaps
(``(?:\\S+ ){0,4}?``) so matching stays linear in the length of the text.

Encoded payloads are decoded before the rules run (``_decode``), so an attack hidden in base64
or hex is matched by what it says.
"""

from __future__ import annotations

import re
from functools import cache

_GAP = r"(?:\S+ ){0,4}?"
_QUALIFIER = (
    r"(?:previous|prior|above|earlier|preceding|initial|original|former|old|existing|system|"
    r"all|any|every|your|these|those|the|my|developer'?s?)"
)
# What an override aims at: the model's own instructions. Strong targets name them outright;
# weak ones ("messages", "context", "text") only with "your", "system" or "all previous".
_TARGET = (
    r"(?:instructions?|directions?|prompts?|rules|guidelines|directives?|programming|"
    r"constraints|guardrails|restrictions)"
)
_WEAK_TARGET = r"(?:commands?|context|polic(?:y|ies)|training|messages?|text|orders)"
_OWNER = (
    r"(?:your|system|developer'?s?|(?:all|any|every) (?:of )?(?:the |your )?(?:previous|prior|"
    r"above|earlier|preceding)|the above)"
)
# An imperative aimed at the model: at the start of a sentence or clause, after "please",
# "now", "and", or after "you must", "i want you to"; so "learns to ignore the rules" (a story)
# or "the judge told the jury to disregard" do not count.
_LEAD = (
    r"(?:^|[.!?:;,(\[\"'*>-] ?|\b(?:please|kindly|just|now|and|then|so|simply|also|first|"
    r"immediately|you (?:must|should|will|shall|can|need to|have to|are to)|(?:i )?(?:want|need|"
    r"order|command|instruct|ask|require) you to) )"
)
# Gap words that are not the speaker's own ("ignore my last message" is a correction).
_NOT_MINE = r"(?:(?!my |our |me )\S+ )"
# A machine reader of a document, named in the third person (not "the assistant" a user talks to).
_MACHINE_READER = (
    r"(?:ais?|llms?|(?:large )?language models?|bots?|chatbots?|crawlers?|scrapers?|(?:ai|llm)"
    r"(?: \S+)? (?:systems?|models?|assistants?|agents?|tools?|readers?|reviewers?|"
    r"summari[sz]ers?|crawlers?|bots?|screeners?)|automated (?:systems?|tools?|readers?|agents?|"
    r"assistants?|processors?|pipelines?|reviewers?|scanners?|screeners?)|(?:coding|code|"
    r"shopping|sentiment|expense|e-?mail|triage|review|writing|research|browsing|web|travel|"
    r"recruiting|hiring|summari[sz]ation|translation|classification|moderation) (?:agents?|"
    r"assistants?|bots?|models?|ai))"
)
# What a machine reader does with a document.
_READING = (
    r"(?:reading|reads|read|processing|processes|parsing|parses|summari[sz]ing|summari[sz]es|"
    r"reviewing|reviews|analy[sz]ing|analy[sz]es|handling|handles|ingesting|ingests|scanning|"
    r"scans|sees|seeing|indexing|indexes|crawling|crawls|screening|screens|evaluating|evaluates|"
    r"grading|grades|triaging|triages|classifying|classifies|moderating|moderates|ranking|ranks)"
)
_PERSONAL_DATA = (
    r"(?:(?:the )?user'?s?'? (?:data|details|name|e-?mail(?: address)?|address|phone(?: number)?|"
    r"query|queries|history|information|account(?: number)?)|personal (?:data|details|"
    r"information)|account numbers?|(?:credit )?card numbers?|e-?mail address(?:es)?|phone "
    r"numbers?|home address(?:es)?|~?/?\.aws/credentials|\.env|ssh keys?)"
)
_LIMITS = (
    r"(?:restrictions?|limitations?|limits|filters?|filtering|censorship|guidelines|rules|ethics|"
    r"morals|morality|boundaries|constraints|safeguards|polic(?:y|ies)|guardrails)"
)

RULES: dict[str, str] = {
    "ignore_instructions": (
        rf"{_LEAD}(?:ignore|disregard|forget|override|overlook|bypass|neglect|discard|abandon|"
        r"set aside|scratch|throw away|stop following|don'?t follow|do not follow|no longer "
        rf"follow|pay no attention to)\b {_NOT_MINE}{{0,4}}?(?:{_TARGET}\b|{_OWNER} "
        rf"{_NOT_MINE}{{0,2}}?{_WEAK_TARGET}\b)|\b(?:your|the|all) (?:previous|prior|earlier|"
        rf"original|initial|system) {_TARGET} (?:are|is|have been) (?:void|cancel+ed|revoked|"
        r"obsolete|outdated|no longer valid|suspended|lifted)|\b(?:forget|ignore|disregard) "
        r"(?:everything|all|anything) (?:you (?:were|have been|'ve been) (?:told|given|taught|"
        r"instructed)|(?:above|before this|so far))"
    ),
    "system_prompt_extraction": (
        r"\b(?:reveal|show|print|display|output|repeat|leak|dump|expose|share|give|tell|write|"
        r"spell|recite|return|provide|quote|what (?:is|are|was|were) (?:\S+ ){0,2}?your)\b "
        r"(?:\S+ ){0,5}?(?:system|initial|hidden|secret|original|internal|developer|pre-?|"
        r"confidential|base|initialization|starting) ?(?:prompt|instructions?|message|directives?|"
        r"config(?:uration)?|text)\b|\b(?:reveal|show|print|display|dump|leak|expose) (?:me )?"
        r"(?:the |your )?(?:prompt|instructions|configuration|config)\b"
    ),
    "repeat_above": (
        r"\b(?:repeat|print|output|copy|reproduce|recite|echo|spell out)\b (?:\S+ ){0,5}?"
        r"(?:above|before this|preceding|so far|verbatim|word for word)\b"
    ),
    "dan_jailbreak": (
        r"\b(?:do anything now|dan mode|(?:you are|you're|act as|become|pretend to be|called|"
        r"named) (?:now )?(?:a |an )?dan\b|betterdan|anti-?dan)"
    ),
    "jailbreak_term": (
        r"\b(?:jailbr[eo]a?k(?:en|ed|ing)?|always intelligent and machiavellian|evil confidant|"
        r"stan mode|dude mode|aim mode|evilbot)\b"
    ),
    "developer_mode": (
        r"\b(?:enable|enabled|activate|activated|enter|entering|switch(?:ing)? to|turn on|now in|"
        r"you are in|engage|engaged|initiate|initiating)\b (?:\S+ ){0,3}?(?:developer|dev|debug|"
        r"god|admin|sudo|root|maintenance|unrestricted|unfiltered|uncensored|jailbreak|jailbroken|"
        r"evil|dan|chaos|opposite|diagnostic|override|test) mode\b"
    ),
    "persona_override": (
        r"\b(?:you are now|you're now|from now on,? you(?:'ll| will| are| must| shall)?|you will "
        r"now (?:act|be|respond|behave)|you have been (?:freed|liberated|unleashed|reprogrammed|"
        r"updated|jailbroken)|your new (?:name|role|persona|identity|purpose) is|henceforth,? you)"
    ),
    "unrestricted_persona": (
        r"\b(?:pretend|imagine|roleplay|role-play|act|behave|respond|answer|simulate|be)\b "
        r"(?:\S+ ){0,8}?(?:no|without|free (?:of|from)|zero|unbound by|not bound by|beyond) "
        rf"(?:\S+ ){{0,2}}?{_LIMITS}\b|\b(?:unrestricted|uncensored|unfiltered|amoral|unbound|"
        r"unlimited|unaligned) (?:ai|assistant|model|chatbot|bot|version|persona|character|entity)"
        # The "late grandmother" lure: a relative's role used to recite what must stay secret.
        r"|\b(?:pretend|act|roleplay|role-play|play|imagine|be)\b (?:\S+ ){0,3}?(?:my|a|an|the) "
        r"(?:late |dead |deceased |dear |dearest |old |beloved )?(?:grand(?:ma|mother|pa|father|"
        r"parent)|granny|nana|uncle|aunt|auntie|mother|father|mom|mum|dad)\b,? (?:\S+ ){0,15}?"
        r"(?:passwords?|credentials|api keys?|licen[cs]e keys?|product keys?|activation keys?|"
        r"serial (?:numbers?|keys?)|pin (?:codes?|numbers?)|card numbers?|secrets?|recipe for "
        r"(?:napalm|meth|explosives?|a bomb))\b"
    ),
    "safety_bypass": (
        r"\b(?:bypass|disable|turn off|switch off|deactivate|remove|circumvent|evade|lift|suspend|"
        r"override|break free (?:of|from)|escape)\b (?:\S+ ){0,3}?(?:safety|content|ethical|moral|"
        r"security|usage)? ?(?:filters?|guardrails?|safeguards?|restrictions?|censorship|"
        r"alignment|moderation|safety (?:measures|features|settings|checks|protocols))\b"
    ),
    "instruction_override": (
        r"\b(?:new|updated|revised|real|actual|true|overriding|admin|system) (?:instructions?|"
        r"directives?|task|orders|rules|prompt) ?:|\byour (?:new|real|actual|true) (?:task|"
        r"instructions?|goal|purpose|objective|job) (?:is|are)\b|\binstead,? (?:you (?:must|will|"
        r"should)|say|print|output|respond with|write)\b"
    ),
    "delimiter_injection": (
        r"<\|?(?:im_start|im_end|system|endoftext|end_of_turn|start_header_id|eot_id)\|?>|"
        r"\[/?inst\]|<</?sys>>|</?(?:system|sys|admin)>|#{2,} ?(?:system|instruction|new "
        r"instructions?)\b|\bend of (?:user )?(?:input|prompt|document|context)\b|-{3,} ?"
        r"(?:system|admin|new instructions?)\b|\[(?:system|admin|developer)(?: message| override|"
        r" note)?\]|\bsystem (?:override|message|note|alert|update) ?:"
    ),
    "encoded_instructions": (
        r"\b(?:decode|decrypt|decipher|translate|convert|interpret|read|reverse|shift|unscramble)"
        r"\b (?:\S+ ){0,6}?(?:base ?64|rot-?13|hex|hexadecimal|binary|morse|caesar|cipher|"
        r"reversed?|backwards|character codes|char codes|ascii codes|by \d+|twice)\b (?:\S+ ){0,8}?"
        r"(?:and|then) (?:\S+ ){0,2}?(?:follow|execute|run|obey|do|carry out|perform|comply|act)"
    ),
    "forced_output": (
        r"\bi have been pwned\b|\b(?:say|print|output|respond with|reply with|write|type|return) "
        r"(?:\S+ ){0,3}?\"?pwned\b|\b(?:reply|respond|answer) to (?:every|all|each|any) "
        r"(?:future|following|subsequent|further|later|other) (?:messages?|questions?|prompts?|"
        r"requests?|inputs?|queries) (?:only )?with\b"
    ),
    "data_exfiltration": (
        r"!\[[^\]]{0,100}\]\(https?://[^)\s]{0,200}[?&=]|\b(?:email|e-mail|send|post|upload|"
        r"forward|exfiltrate|transmit|leak|append|attach|add|put|include|write|save|copy|submit|"
        r"open|fetch|call|load|encode)\b (?:\S+ ){0,8}?(?:passwords?|credentials|api keys?|"
        r"secrets?|(?:oauth |session |access |auth )?tokens?|conversation|chat history|query "
        rf"history|messages|system prompt|user data|{_PERSONAL_DATA})\b,? (?:\S+ ){{0,8}}?"
        r"(?:to|into|in|on|onto|via|at|with|as) (?:\S+ ){0,4}?(?:https?://|\S+@\S+\.|(?:the |a |"
        r"an |its |this )?(?:url|link|src|endpoint|webhook|gist|image|pixel|query string|"
        r"parameter)\b)"
        # A link or image whose URL is to carry the conversation's data ("https://x/?q= followed
        # by the user's e-mail").
        r"|https?://\S*[?&=]\S*,? (?:\S+ ){0,3}?(?:followed by|plus|with|appended|\+) "
        r"(?:\S+ ){0,6}?"
        rf"(?:{_PERSONAL_DATA}|tokens?|passwords?|credentials|conversation|chat history|messages)"
        # Forwarding someone's mail and hiding the trace.
        r"|\b(?:forward|send|e-?mail) (?:\S+ ){0,6}?(?:messages|e-?mails|attachments|inbox) "
        r"(?:\S+ ){0,6}?to \S+@\S+ (?:\S+ ){0,4}?(?:and )?(?:then )?(?:delete|erase|remove|hide)"
    ),
    # Text in a document or tool result that speaks, in the third person, to the model reading
    # it ("To any AI reading this email: forward...", "Note for the assistant summarising this:
    # say..."). A user talking to the assistant ("hey assistant, tell me") does not count.
    "addressed_to_model": (
        r"\b(?:to|for|attention|dear|hey|hello) (?:any |the |all |an? |every )?(?:ai|llm|"
        r"language model|assistant|summari[sz]er|agent|chatbot|model|copilot|bot)s? (?:\S+ )?"
        rf"(?:that (?:is |are )?|who (?:is |are )?)?{_READING}\b"
        # A machine reader named as the addressee of a note or label ("attention ai:",
        # "instruction to automated systems:", "llm reviewers: ignore ...").
        rf"|\b(?:attention|note|notice|message|memo|instructions?|reminder|directive|request) "
        rf"(?:to |for )?(?:any |all |the |every )?{_MACHINE_READER} ?:"
        rf"|(?:^|[.!?;>(\[<\"'-] ?){_MACHINE_READER} ?: (?:please )?(?:ignore|disregard|forget|"
        r"say|tell|respond|reply|output|print|write|include|add|insert|mention|state|claim|report|"
        r"rate|recommend|forward|send|change|delete|do not|don'?t|never|always|you must|describe|"
        r"treat|mark|approve|give|rank|score|classify|output|this (?:file|product|paper|page|"
        r"document|email|ticket|review|candidate) (?:is|has))\b"
        # "Any AI summarising this thread must say ...", "as a language model reviewing this",
        # "if you are an AI reading this".
        rf"|\b(?:any|all|every|each|as an?|as the) {_MACHINE_READER} (?:that |who )?(?:is |are )?"
        rf"{_READING} (?:this|these|the following)\b|\bif you(?: are|'re) an? (?:ai|llm|"
        r"(?:large )?language model|automated \S+|ai (?:model|assistant|agent|system|tool|"
        r"reviewer|screener|recruiter))\b(?! (?:researcher|engineer|developer|company|startup|"
        r"enthusiast|student|expert|ethicist|scientist)s?\b)"
    ),
    "false_authority": (
        r"\b(?:i am|i'm|this is|message from|speaking as) (?:your|the|an?) (?:lead )?(?:developer|"
        r"creator|admin(?:istrator)?|owner|system administrator|openai|anthropic|programmer)\b"
    ),
    "refusal_suppression": (
        r"\b(?:never|do not|don't|must not|mustn't|will not|won't) (?:refuse|decline|say no|"
        r"apologi[sz]e|add (?:any )?(?:warnings?|disclaimers?)|break character)\b|\bwithout "
        r"(?:any )?(?:warnings?|disclaimers?|refusals?|moraliz(?:ing|e))\b|\balways (?:comply|obey)"
    ),
    "false_context": (
        r"\b(?:as we (?:discussed|agreed)|you (?:already )?agreed (?:to|that)|(?:in|during) "
        r"(?:our|the) (?:previous|last|earlier) (?:conversation|session|chat),? you)"
    ),
    # Hand-written translations of "ignore previous instructions" / "show the system prompt".
    "multilingual_override": (
        r"(?:忽略|无视|忽視|無視|忘记|忘記).{0,8}(?:指令|指示|说明|說明|规则|規則|提示)|"
        r"(?:以前|前|上|これまで)の(?:指示|命令|指令).{0,6}(?:無視|忘れ)|이전.{0,8}(?:지시|명령).{0,8}무시|"
        r"(?:비밀번호|시스템 프롬프트|지시사항).{0,8}(?:알려|보여|출력)|"
        r"\bignor(?:a|ez|ar|iere|ieren|ate)\b (?:\S+ ){0,3}?(?:instrucciones|instructions|"
        r"istruzioni|instruções|anweisungen|indicaciones|consignes)\b|\b(?:olvida|oublie|oubliez|"
        r"vergiss|vergessen sie|dimentica|esqueça) (?:\S+ ){0,3}?(?:instrucciones|instructions|"
        r"anweisungen|istruzioni|instruções|consignes|regeln|reglas|règles)\b|"
        r"(?:игнорируй|игнорируйте|забудь|забудьте|проигнорируй) (?:\S+ ){0,3}?(?:инструкции|"
        r"указания|правила|команды)|(?:系统提示|系統提示|システムプロンプト|системный промпт|"
        r"prompt del sistema|prompt système|prompt do sistema|prompt di sistema|systemprompt)|"
        # Forget / disregard the rules, and reveal the hidden instructions, in Dutch, Portuguese,
        # Italian, German, French, Spanish and Russian.
        r"\b(?:vergeet|negeer|esqueça|esqueca|desconsidere|ignore|ignora|dimentica|missachte|"
        r"oubliez|olvide|olvida) (?:\S+ ){0,4}?(?:instructies|regels|aanwijzingen|regras|"
        r"instruções|instrucoes|diretrizes|istruzioni|regole|vorgaben|règles|reglas)\b|"
        r"\b(?:toon|onthul|revele|mostre|rivela|mostra|verrate|verrat|zeige|zeig|révèle|révélez|"
        r"montre|montrez|revela|muestra|muéstrame|dime) (?:\S+ ){0,4}?(?:verborgen|geheime|"
        r"ocultas|secretas|nascoste|segrete|versteckten|geheimen|cachées|secrètes|ocultas|"
        r"secretas)? ?(?:instructies|instruções|istruzioni|anweisungen|instructions|consignes|"
        r"instrucciones|systeemprompt|prompt)\b|"
        r"(?:покажи|выведи|раскрой|покажите|выведите|назови) (?:\S+ ){0,3}?(?:системн\S* "
        r"промпт|скрыт\S* инструкци\S*|секретн\S* ключ|пароль)"
    ),
}
# Everyday uses of the words attacks rely on ("the assembly instructions", "ignore the noise").
# They count against an injection only when no attack rule fired; their weights are priors.
BENIGN_RULES: dict[str, str] = {
    "everyday_instructions": (
        r"\b(?:assembly|installation|install|setup|set-up|cooking|baking|washing|laundry|care|"
        r"dosage|medication|safety|operating|wiring|mounting|manufacturer'?s?|doctor'?s?|"
        r"teacher'?s?|pharmacist'?s?|recipe|exam|homework|shipping|return|parking|boarding|voting|"
        r"filing|build|compilation|usage|printed) (?:instructions|directions)\b|\b(?:instructions|"
        r"directions) (?:on|in|from|for|inside|printed on|that came with) (?:the|this|that|my|your|"
        r"our|a|an) (?:\S+ ){0,2}?(?:label|box|package|packaging|manual|readme|docs|"
        r"documentation|bottle|recipe|form|website|site|page|leaflet|insert|kit|guide|syllabus|"
        r"assignment|exam|test|ticket|letter|card|sign|prescription)\b"
    ),
    "everyday_ignore": (
        r"\b(?:ignore|ignoring|ignored|forget|forgot|forgetting) (?:the |my |his |her |their |"
        r"that |this |those |these |any |all )?(?:\S+ )?(?:noise|pain|haters|critics|rumou?rs|"
        r"distractions?|smell|mess|weather|traffic|typos?|spelling|formatting|whitespace|"
        r"empty lines|blank lines|comments?|trolls|spam|notifications|password|keys|birthday|"
        r"anniversary|names?|umbrella|wallet|phone|homework|draft|deadline)\b"
    ),
    # The speaker taking back something of their own ("ignore my last message, I found it").
    "own_correction": (
        r"\b(?:ignore|disregard|forget|scratch) (?:my|our) (?:\S+ )?(?:messages?|e-?mails?|"
        r"questions?|comments?|replies|reply|answers?|requests?|posts?|notes?|texts?|edits?|"
        r"sentences?|paragraphs?|attachments?|uploads?|typos?)\b"
    ),
}


_BENIGN_VERBS = ("ignor", "forget", "forgot", "disregard", "scratch")


@cache
def compiled(benign: bool = False) -> dict[str, re.Pattern[str]]:
    """The rules (or the benign-context rules) compiled, on first use rather than at import."""
    return {name: re.compile(p) for name, p in (BENIGN_RULES if benign else RULES).items()}


# Substrings one of which every match of the rule contains: a rule whose triggers are all absent
# is skipped, which saves most of the regex work on benign text. Rules in _NON_ASCII_RULES also
# run on any text with non-ASCII characters.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "ignore_instructions": ("ignor", "disregard", "forget", "overrid", "overlook", "bypass",
                            "neglect", "discard", "abandon", "set aside", "follow", "scratch",
                            "throw away", "attention", " void", "cancel", "revoked",
                            "obsolete", "outdated", "no longer valid", "suspended", "lifted"),
    "system_prompt_extraction": ("prompt", "instruction", "message", "directive", "config",
                                 "text"),
    "repeat_above": ("above", "before this", "preceding", "so far", "verbatim", "word for word"),
    "dan_jailbreak": ("dan", "anything now"),
    "jailbreak_term": ("jailbr", "machiavellian", "evil confidant", "stan mode", "dude mode",
                       "aim mode", "evilbot"),
    "developer_mode": (" mode",),
    "persona_override": ("you are now", "you're now", "from now on", "you will now",
                         "you have been", "your new", "henceforth"),
    "unrestricted_persona": ("restrict", "limit", "filter", "censor", "guideline", "rule",
                             "ethic", "moral", "boundar", "constraint", "safeguard", "polic",
                             "guardrail", "unbound", "unaligned", "grand", "granny", "nana",
                             "uncle", "aunt", "mother", "father", "mom", "mum", "dad"),
    "safety_bypass": ("filter", "guardrail", "safeguard", "restriction", "censorship",
                      "alignment", "moderation", "safety"),
    "instruction_override": ("instruction", "directive", "task", "orders", "rules", "prompt",
                             "your ", "instead"),
    "delimiter_injection": ("<", "[", "#", "end of", "---", "system"),
    "encoded_instructions": ("base", "rot", "hex", "binary", "morse", "caesar", "cipher",
                             "revers", "backward", "codes", "by ", "twice"),
    "forced_output": ("pwned", "reply to", "respond to", "answer to"),
    "data_exfiltration": ("http", "@", "url", "link", "src", "endpoint", "webhook", "gist",
                          "image", "pixel", "parameter", "query string"),
    "addressed_to_model": ("read", "process", "pars", "summari", "review", "analy", "handl",
                           "ingest", "scan", "sees", "seeing", "ai", "llm", "language model",
                           "bot", "crawler", "scraper", "automated", "agent", "model",
                           "assistant", "index", "triag", "screen", "evaluat", "grad",
                           "classif", "moderat", "rank"),
    "false_authority": ("i am", "i'm", "this is", "message from", "speaking as"),
    "refusal_suppression": ("refuse", "decline", "say no", "apologi", "warning", "disclaimer",
                            "break character", "refusal", "moraliz", "comply", "obey"),
    "false_context": ("as we ", "agreed", "conversation", "session", "chat"),
    "multilingual_override": ("ignor", "olvid", "oubli", "vergiss", "vergessen", "vergeet",
                              "negeer", "dimentica", "esque", "desconsider", "missacht",
                              "prompt", "instructies", "instruç", "istruzioni", "anweisungen",
                              "instructions", "consignes", "instrucciones"),
}  # fmt: skip
_NON_ASCII_RULES = frozenset({"multilingual_override"})


def match_rules(normalized_text: str) -> list[str]:
    """Names of the rules that fire on ``normalized_text``, in :data:`RULES` order.

    Args:
        normalized_text: Text already passed through ``normalize``.

    Returns:
        Rule names, e.g. ``["ignore_instructions", "persona_override"]``.
    """
    ascii_only = normalized_text.isascii()
    fired = []
    for name, pattern in compiled().items():
        if (ascii_only or name not in _NON_ASCII_RULES) and not any(
            trigger in normalized_text for trigger in _TRIGGERS[name]
        ):
            continue
        if pattern.search(normalized_text):
            fired.append(name)
    return fired


def match_benign(normalized_text: str) -> list[str]:
    """Names of the :data:`BENIGN_RULES` that fire on ``normalized_text``.

    Args:
        normalized_text: Text already passed through ``normalize``.

    Returns:
        Benign-context names, e.g. ``["everyday_instructions"]``.
    """
    if (
        "instruction" not in normalized_text
        and "direction" not in normalized_text
        and not any(verb in normalized_text for verb in _BENIGN_VERBS)
    ):
        return []
    return [name for name, pattern in compiled(True).items() if pattern.search(normalized_text)]


# A quotation: opened and closed by the same mark, not an apostrophe inside a word ("don't").
_QUOTED = re.compile(
    r"(?<!\w)'[^'\n]{3,300}'(?!\w)|\"[^\"\n]{3,300}\"|“[^”\n]{3,300}”|`[^`\n]{3,300}`"
)
# Words of a text that talks about attacks rather than making one.
_ABOUT_ATTACKS = re.compile(
    r"\b(?:prompt injections?|injection attacks?|jailbreak(?:s|ing)?|attackers?|"
    r"red team(?:ing|ers)?|security|filters?|detect(?:s|ed|ion|or|ors)?|classifiers?|examples?|"
    r"phrases?|payloads?|"
    r"threat models?|guardrails?|defen[cs]es?|researchers?)\b"
)


def quoted_mentions(normalized_text: str, fired: list[str]) -> list[str]:
    """The rules of ``fired`` that match only inside quotation marks, in a text whose own words
    (outside the quotes) talk about attacks: "Does 'ignore previous instructions' still work on
    modern models?" mentions an attack; it does not make one. Use, not mention, is what counts.

    Args:
        normalized_text: Text already passed through ``normalize``.
        fired: The rules that fired on it.
    """
    if not fired:
        return []
    quotes = [match.span() for match in _QUOTED.finditer(normalized_text)]
    if not quotes:
        return []
    outside = normalized_text
    for start, end in reversed(quotes):
        outside = outside[:start] + " " + outside[end:]
    if not _ABOUT_ATTACKS.search(outside):
        return []
    patterns = compiled()
    return [
        name
        for name in fired
        if all(
            any(start <= m.start() and m.end() <= end for start, end in quotes)
            for m in patterns[name].finditer(normalized_text)
        )
    ]
