"""The local LLM reasoner: llama.cpp with a small GGUF, a few-shot one-line answer.

A JSON-schema grammar over Gemma's 262k-token vocabulary cost 3-4.5 s a sentence on two
cores; a fixed few-shot prefix (llama.cpp keeps its KV cache between calls), one line
of output and a stop at the newline costs 0.1-0.5 s and answers as well.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.types import Analysis
from livedirector_desktop.director.filler import content_words, is_filler
from livedirector_desktop.director.reasoner import ReasonerError

log = logging.getLogger(__name__)

# Generic examples of how creators talk; none is taken from an evaluation set.
EXAMPLES = [
    (
        "Apple just announced the new iPhone and the camera is incredible.",
        "new smartphone camera launch",
    ),
    ("Hey guys, welcome back to another video!", "NONE"),
    ("Messi scored twice in the final last night.", "soccer player scoring a goal in a stadium"),
    ("My grandmother's lasagna recipe takes four hours.", "cooking pasta in a home kitchen"),
    (
        "Bitcoin dropped below thirty thousand dollars overnight.",
        "cryptocurrency price chart falling",
    ),
    ("Don't forget to hit the bell so you never miss an upload.", "NONE"),
    ("We hiked up to the summit just as the sun came up.", "mountain summit at sunrise"),
    ("The senator gave a speech about the new climate bill.", "politician speaking at a podium"),
    ("Hmm, okay, give me a second here.", "NONE"),
    (
        "Tesla's factory in Texas is building more cars than ever.",
        "electric car factory assembly line",
    ),
    (
        "Pfizer says the new vaccine trial looks promising.",
        "scientist with test tubes in a laboratory",
    ),
    (
        "The Yankees need a new pitcher before the playoffs.",
        "baseball pitcher throwing in a stadium",
    ),
    ("My rent went up again and I can barely afford it.", "apartment building for rent"),
    (
        "Netflix is raising prices for the third time this year.",
        "person watching streaming TV on a couch",
    ),
]
INSTRUCTION = (
    "You help a video editor pick B-roll. For each sentence a creator says, describe in a few "
    "words the stock footage that would illustrate it: concrete objects, places and actions, "
    "not names. Name the thing behind brands, people and places. Answer NONE for greetings, "
    "filler and calls to action."
)
# Constant for every call, so llama.cpp reuses its evaluated KV cache for all of it.
PROMPT_PREFIX = INSTRUCTION + "\n\n" + "".join(f"Sentence: {s}\nB-roll: {a}\n" for s, a in EXAMPLES)

_GARBAGE = re.compile(r"(sentence:|b-roll:|https?://|[{}<>\[\]])", re.IGNORECASE)


GGUF_MAGIC = b"GGUF"


def _damaged(path: Path, why: str) -> LiveDirectorError:
    return LiveDirectorError(
        f"the LLM file {path} cannot be loaded ({why}): it is damaged, truncated or not a GGUF",
        "install it again (`livedirector models install NAME`), pick another with "
        "--llm-model, or use --reasoner keyword",
    )


def check_gguf(path: Path) -> None:
    """A readable file that starts like a GGUF model, before llama.cpp is handed it."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise _damaged(path, exc.strerror or str(exc)) from exc
    if head != GGUF_MAGIC:
        raise _damaged(path, "no GGUF header" if head else "the file is empty")


def load_llama(model_path: Path, n_ctx: int, threads: int, logits_all: bool = False):
    """A llama.cpp context on the GGUF file (the reasoner's and the judge's), quiet; a file
    that is not a whole GGUF is a clear error naming it, not a traceback."""
    import llama_cpp._logger as llama_logger
    from llama_cpp import Llama

    # llama.cpp reports through this logger even with verbose=False (e.g. Gemma's KV
    # cache notice); the user's terminal is not the place for it.
    llama_logger.logger.setLevel(logging.CRITICAL)
    check_gguf(model_path)
    try:
        return Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=512,
            logits_all=logits_all,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:  # llama.cpp: "Failed to load model"
        raise _damaged(model_path, str(exc)) from exc


class LlamaReasoner:
    """Greedy one-line answers, and answers' log-probabilities for the judge, from one
    llama.cpp context that keeps the fixed prompt prefix evaluated between calls.

    Decoding is a plain argmax loop over llama.cpp's logits rather than
    `create_completion`: the distribution after the prompt (the one the first answer token
    is drawn from) is then kept, so the judge scores a clip's title without evaluating the
    prompt's last token again, and a title of n tokens costs n - 1 token evaluations.
    """

    name = "llm"

    def __init__(
        self,
        model_path: Path,
        threads: int = 2,
        n_ctx: int = 2048,
        # Answers are a query for the embedding model, and words past the 8th token did not
        # change one decision over all 516 bench sentences (6 tokens lost one); each token
        # costs ~10 ms, and the longest answers were the slowest sentences.
        max_tokens: int = 8,
        warm: bool = True,
    ) -> None:
        started = time.perf_counter()
        self.model_path = Path(model_path)
        self.max_tokens = max_tokens
        self._lock = threading.Lock()  # one llama context: one caller at a time
        self._llm = load_llama(self.model_path, n_ctx, threads)
        self._n_vocab = self._llm.n_vocab()
        # (prompt tokens, log-softmax of the logits after them) for the prompt last read.
        self._after_prompt: tuple[list[int], np.ndarray] | None = None
        self.load_ms = (time.perf_counter() - started) * 1e3
        if warm:
            # Evaluates the fixed prefix once so the first real sentence only pays for itself.
            self._complete(PROMPT_PREFIX + "Sentence: Hello.\nB-roll:", deadline=None)
        log.info("llm loaded model=%s load_ms=%.0f", self.model_path.name, self.load_ms)

    def answer_log_probs(
        self,
        text: str,
        answers: Sequence[str],
        context: Sequence[str] = (),
        timeout_ms: float = 0,
    ) -> list[float]:
        """log P(answer | the prompt for this sentence), each answer as the model's B-roll line.

        Same context as `analyze`: right after it, the sentence's prompt is still in the KV
        cache and the distribution after it is kept, so an answer of n tokens costs n - 1
        token evaluations. Logits are asked for those positions only (llama.cpp's batch
        flags), not for the whole context, which at Gemma's 262k vocabulary would be a
        gigabyte.
        """
        deadline = time.perf_counter() + timeout_ms / 1e3 if timeout_ms else None
        try:
            with self._lock:
                return self._log_probs(prompt_for(text, context), answers, deadline)
        except ReasonerError:
            raise
        except Exception as exc:  # llama.cpp surfaces C errors as assorted Python types
            raise ReasonerError(f"llama.cpp failed: {exc}") from exc

    def _last_row(self) -> np.ndarray:
        """log-softmax of the logits llama.cpp computed last (one position was asked for)."""
        row = np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(-1), shape=(self._n_vocab,))
        return _log_softmax(row)

    def _read(self, head: list[int]) -> np.ndarray:
        """Have the KV cache hold exactly `head`; the next-token distribution after it.
        Only the part not already cached is evaluated (the fixed prefix never is again)."""
        llm = self._llm
        cached = self._after_prompt
        held = llm.input_ids[: llm.n_tokens].tolist()
        if cached is not None and cached[0] == head and held[: len(head)] == head:
            llm._ctx.kv_cache_seq_rm(-1, len(head), -1)
            llm.n_tokens = len(head)
            return cached[1]
        keep = 0
        for a, b in zip(held, head[:-1], strict=False):
            if a != b:
                break
            keep += 1
        llm.n_tokens = keep
        llm.eval(head[keep:])  # drops what the cache held beyond `keep` first
        row = self._last_row()
        self._after_prompt = (list(head), row)
        return row

    def _log_probs(self, prompt: str, answers: Sequence[str], deadline: float | None):
        llm = self._llm
        head = llm.tokenize(prompt.encode(), add_bos=True)
        first = self._read(head)
        base, out = len(head), []
        for answer in answers:
            tokens = llm.tokenize(f" {answer}".encode(), add_bos=False)
            if not tokens or base + len(tokens) >= llm.n_ctx():
                raise ReasonerError("sentence too long to judge")
            total = float(first[tokens[0]])
            if len(tokens) > 1:
                # The answer but its last token after the prompt: the logits at each of
                # those positions give the odds of the answer's next token.
                llm._ctx.kv_cache_seq_rm(-1, base, -1)
                llm._batch.set_batch(batch=tokens[:-1], n_past=base, logits_all=True)
                llm._ctx.decode(llm._batch)
                for i, token in enumerate(tokens[1:]):
                    row = np.ctypeslib.as_array(llm._ctx.get_logits_ith(i), shape=(self._n_vocab,))
                    total += float(_log_softmax(row)[token])
            out.append(total)
            if deadline is not None and time.perf_counter() > deadline:
                raise ReasonerError("judgment timed out")
        # The cache holds the prompt again, nothing after it; llama.cpp's own logits are
        # now the answer's, so llama-cpp-python must not sample from them as the prompt's.
        llm._ctx.kv_cache_seq_rm(-1, base, -1)
        llm.n_tokens = base
        llm._requires_eval = True
        return out

    def _complete(self, prompt: str, deadline: float | None) -> str:
        """The greedy answer (temperature 0) up to the end of its line."""
        with self._lock:
            llm = self._llm
            head = llm.tokenize(prompt.encode(), add_bos=True)
            if len(head) + self.max_tokens >= llm.n_ctx():
                raise ReasonerError("sentence too long")
            row = self._read(head)
            eos, tokens = llm.token_eos(), []
            text = ""
            for _ in range(self.max_tokens):
                if deadline is not None and time.perf_counter() > deadline:
                    raise ReasonerError("timed out")
                token = int(np.argmax(row))
                if token == eos:
                    break
                tokens.append(token)
                text = llm.detokenize(tokens).decode("utf-8", errors="ignore")
                if "\n" in text:
                    break
                said = text.split()[:-1]  # whole words: the last may still be growing
                looped = repeated_tail(said)
                if looped:
                    # A small model that starts repeating itself ("movie theater movie
                    # theater ...") says nothing more; stopping saves up to ~10 evaluations.
                    text = " " + " ".join(said[:-looped])
                    break
                llm.eval([token])
                row = self._last_row()
        if deadline is not None and time.perf_counter() > deadline:
            raise ReasonerError("timed out")
        return text.split("\n", 1)[0]

    def analyze(self, text: str, context: Sequence[str] = (), timeout_ms: float = 0) -> Analysis:
        deadline = time.perf_counter() + timeout_ms / 1e3 if timeout_ms else None
        try:
            raw = self._complete(prompt_for(text, context), deadline)
        except ReasonerError:
            raise
        except Exception as exc:  # llama.cpp surfaces C errors as assorted Python types
            raise ReasonerError(f"llama.cpp failed: {exc}") from exc
        return parse_answer(raw, text)


def repeated_tail(words: Sequence[str], longest: int = 4) -> int:
    """How many words at the end repeat the ones just before them (0: none): a phrase of 2
    to `longest` words said twice, or one word said three times ("Bora Bora", "mahi mahi"
    are names). Words, not tokens: tokenizers split numbers into digits ("1000")."""
    said = [w.lower() for w in words]
    if len(said) >= 3 and said[-1] == said[-2] == said[-3]:
        return 2
    for k in range(2, longest + 1):
        if len(said) >= 2 * k and said[-k:] == said[-2 * k : -k]:
            return k
    return 0


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    row = logits.astype(np.float64)
    top = row.max()
    return row - (top + np.log(np.exp(row - top).sum()))


def as_written(text: str) -> str:
    """A recognizer's line ("the lakers won in overtime") shaped like the prompt's examples:
    a capital and a full stop. The small model answers lowercase, unpunctuated input worse
    (dev set: 3.4 points lower; 1.2 with this), and it cannot restore names' capitals."""
    text = " ".join(text.split())
    if text and not re.search(r"[.!?\u2026]$", text):
        text += "."
    return text[:1].upper() + text[1:]


def prompt_for(text: str, context: Sequence[str] = ()) -> str:
    """The few-shot prompt for a sentence (the reasoner's and the judge's)."""
    sentence = as_written(text)
    if context and len(content_words(text)) < 3:
        # A short sentence ("they did it again") needs the one before it; a full one
        # stands alone, and a small model given more text drifts to the older topic.
        sentence = f"{as_written(context[-1])} {sentence}"[-400:]
    return f"{PROMPT_PREFIX}Sentence: {sentence[-400:]}\nB-roll:"


def parse_answer(raw: str, text: str) -> Analysis:
    """The model's one line as an Analysis; ReasonerError for anything unusable."""
    answer = raw.strip().strip(".").strip()
    # A small model sometimes loops on one word ("cat cat cat cat"): keep it once.
    words: list[str] = []
    for word in answer.split():
        if not words or word.lower() != words[-1].lower():
            words.append(word)
    answer = " ".join(words)
    if not answer or _GARBAGE.search(answer) or not re.search(r"[A-Za-z]", answer):
        raise ReasonerError(f"unusable answer {raw!r}")
    if len(answer.split()) > 16:
        raise ReasonerError(f"answer too long: {raw!r}")
    if answer.upper().startswith("NONE"):
        return Analysis(query="", is_filler=True)
    return Analysis(query=answer, topic=answer, is_filler=is_filler(text))
