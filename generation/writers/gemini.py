"""The Gemini writer: a report streamed from Google Gemini through google-genai.

Short and standard reports are one streamed request. Long reports are
written in steps, an outline and then one request per section, so progress
means something and no single response has to hold the whole report. Each step
and each streamed chunk goes through ``on_progress`` with the whole text so
far; a ``JobCancelled`` raised there closes the stream and the HTTP client at
once.

Retries belong to this module, not the SDK: the SDK's retry options ignore
the ``RetryInfo.retryDelay`` that a 429 answer carries, and the wait between
attempts must notice a cancel. Every failure the analyst can act on ends in
a ``WriterFailed`` subclass (see ``gemini_failures``) with one sentence and
the text written so far.

The API key is passed to the SDK, which sends it in the ``x-goog-api-key``
header. It is never logged, never put in a message, and removed from any
text that comes back from the API before that text is logged or shown.
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from generation.config import Settings, get_settings
from generation.errors import InvalidRequest, MissingApiKey, WriterFailed
from generation.text import escape_markdown, without_remote_images
from generation.trends.provenance import describe_data_quality
from generation.writers import prompts
from generation.writers.base import (
    Brief,
    Draft,
    OutlineDraft,
    OutlineReady,
    ProgressCallback,
    bool_option,
)
from generation.writers.gemini_failures import (
    MAX_ATTEMPTS,
    MAX_SUGGESTED_WAIT_SECONDS,
    AttemptFailed,
    Failure,
    GeminiBlocked,
    GeminiEmptyAnswer,
    GeminiOutputLimit,
    api_failure,
    cost_cap_reached,
    cut_stream_failure,
    network_failure,
    prompt_blocked,
    with_partial,
)
from generation.writers.gemini_output import (
    Usage,
    blocked_category,
    candidate_text,
    enum_name,
    insert_citations,
    plain_heading,
    prompt_block_reason,
    safe_link,
    sources_section,
    split_title,
    summary_of,
    usage_of,
)
from generation.writers.pricing import (
    CostEstimate,
    cost_usd,
    estimate_tokens,
    price_for,
)

logger = logging.getLogger(__name__)

WRITER_NAME = "gemini"
WRITER_VERSION = "1.0"

# Waits between attempts when the API suggests none: 2, 4, 8 s plus jitter.
BACKOFF_INITIAL_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 30.0
# While waiting, progress is reported this often, so a cancel gets through.
WAIT_SLICE_SECONDS = 0.25
# Per connect, read and write: a stream that sends nothing for this long fails.
REQUEST_TIMEOUT_MS = 120_000
# Estimates of tokens per English word and characters per word of Markdown,
# for the cost estimate and for progress within a step.
TOKENS_PER_WORD = 1.5
CHARACTERS_PER_WORD = 6
OUTLINE_OUTPUT_TOKENS = 250
SAFETY_FINISH_REASONS = frozenset(
    {"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
_MODEL_NAME = re.compile(r"^(models/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = ()
for _module_name in ("httpx2", "httpx"):
    # The SDK sends requests through httpx2 when it is installed, else httpx.
    try:
        _module = __import__(_module_name)
    except ImportError:
        continue
    _TRANSPORT_ERRORS += (_module.TransportError,)


# Settings of one request ------------------------------------------------------


@dataclass(frozen=True)
class RequestOptions:
    """Model, sampling and limits for one report: settings, then brief.options."""

    model: str
    temperature: float
    max_output_tokens: int
    grounding: bool
    cost_cap_usd: float | None
    # Pause after the outline for the analyst's review (``OutlineReady``).
    review_outline: bool = False

    @classmethod
    def from_brief(cls, brief: Brief, settings: Settings) -> RequestOptions:
        """Merge the brief's options over the settings; raises ``InvalidRequest``."""
        options = brief.options or {}
        model = str(options.get("model") or settings.gemini_model).strip()
        if not _MODEL_NAME.match(model):
            raise InvalidRequest(
                f"'{model}' is not a Gemini model name. Use a name such as "
                "gemini-2.5-flash.",
                field="options.model",
            )
        temperature = _number_option(
            options, "temperature", settings.gemini_temperature, 0.0, 2.0
        )
        max_output_tokens = int(
            _number_option(
                options,
                "max_output_tokens",
                settings.gemini_max_output_tokens,
                256,
                65536,
            )
        )
        grounding = bool_option(options, "grounding", settings.gemini_grounding)
        cap = _number_option(
            options, "cost_cap_usd", settings.job_cost_cap_usd, 0.0, 1_000_000.0
        )
        cost_cap = cap if cap > 0 else None
        if cost_cap is not None and price_for(model) is None:
            raise InvalidRequest(
                f"A cost cap is set, but no price is known for the model "
                f"'{model}', so the cap cannot be kept. Pick a model from the "
                "price table or remove the cap.",
                field="options.cost_cap_usd",
            )
        return cls(
            model=model.removeprefix("models/"),
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            grounding=grounding,
            cost_cap_usd=cost_cap,
            review_outline=bool_option(options, "review_outline", False),
        )


def _number_option(
    options: dict[str, Any], name: str, default: float, low: float, high: float
) -> float:
    value = options.get(name)
    if value is None or value == "":
        return float(default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number <= high:
        raise InvalidRequest(
            f"The option {name} is {value!r}; give a number from {low:g} to {high:g}.",
            field=f"options.{name}",
        )
    return number


# Cost estimate ----------------------------------------------------------------


def estimate_cost(
    brief: Brief, model: str | None = None, settings: Settings | None = None
) -> CostEstimate:
    """Estimate a report's tokens and cost from its prompts' characters.

    Sends nothing: the prompts are built as they will be sent, and the
    output is the length's target word count. Thinking tokens, which
    thinking models add and Google bills as output, cannot be known in
    advance and are left out, so the figure is a floor for those models.
    """
    settings = settings or get_settings()
    options = dict(brief.options or {})
    if model:
        options["model"] = model
    options.pop("cost_cap_usd", None)
    request = RequestOptions.from_brief(replace(brief, options=options), settings)
    system = prompts.system_instruction(brief, grounding=request.grounding)
    output_tokens = math.ceil(prompts.target_words(brief) * TOKENS_PER_WORD)
    if _writes_in_steps(brief):
        outline = prompts.parse_outline("", brief)
        step_prompts = [prompts.outline_prompt(brief)] + [
            prompts.section_prompt(brief, outline, index)
            for index in range(len(outline.headings))
        ]
        output_tokens += OUTLINE_OUTPUT_TOKENS
    else:
        step_prompts = [prompts.single_pass_prompt(brief)]
    prompt_tokens = sum(
        estimate_tokens(system) + estimate_tokens(prompt) for prompt in step_prompts
    )
    usd = cost_usd(request.model, prompt_tokens, output_tokens)
    if usd is None:
        note = f"No price is known for {request.model}, so no cost is shown."
    else:
        note = (
            "An estimate from the prompt's characters and the length's word "
            "count; thinking tokens, which thinking models add at the output "
            "rate, are not included."
        )
    if request.grounding:
        note += " Google bills grounding with Google Search separately."
    return CostEstimate(
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        usd=usd,
        model=request.model,
        note=note,
    )


def _writes_in_steps(brief: Brief) -> bool:
    """Return True for long reports and for outlines the analyst reviews."""
    if brief.length == "long" or brief.approved_outline is not None:
        return True
    return bool_option(brief.options or {}, "review_outline", False)


# The writer -------------------------------------------------------------------


@dataclass
class _Step:
    """One request: its name in ``stage_costs``, its prompt and its share of progress."""

    name: str
    stage: str
    prompt: str
    message: str
    start_percent: int
    end_percent: int
    expected_characters: int


@dataclass
class _StepResult:
    text: str
    usage: Usage
    grounding: types.GroundingMetadata | None = None


@dataclass
class _Run:
    """The state of one ``write`` call."""

    brief: Brief
    options: RequestOptions
    key: str
    on_progress: ProgressCallback
    system: str
    base_url: str
    # Text of the finished steps, as shown while the report streams.
    finished_text: str = ""
    # The latest text shown, kept on the job when the writer fails.
    shown_text: str = ""
    usage: Usage = field(default_factory=Usage)
    spent_usd: float = 0.0
    stage_costs: dict[str, float] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    source_numbers: dict[str, int] = field(default_factory=dict)
    price_known: bool = True

    def show(self, step: _Step, text: str, percent: int) -> None:
        self.shown_text = text
        self.on_progress(step.stage, percent, step.message, text=text)


class GeminiWriter:
    """Write a report with Gemini: streamed, in steps for long reports."""

    name = WRITER_NAME
    version = WRITER_VERSION

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._sleep = sleep

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def write(self, brief: Brief, on_progress: ProgressCallback) -> Draft:
        settings = self.settings
        key = settings.api_key
        if not key:
            raise MissingApiKey(
                "No Gemini API key is set. Add GEMINI_API_KEY (or GOOGLE_API_KEY) "
                "to the environment or .streamlit/secrets.toml, or choose the "
                "data brief writer."
            )
        options = RequestOptions.from_brief(brief, settings)
        run = _Run(
            brief=brief,
            options=options,
            key=key,
            on_progress=on_progress,
            system=prompts.system_instruction(brief, grounding=options.grounding),
            base_url=_effective_base_url(settings),
            price_known=price_for(options.model) is not None,
        )
        if not run.price_known:
            logger.warning(
                "No price is known for Gemini model %s; its cost is recorded as 0",
                options.model,
            )
        logger.info(
            "Gemini %s writing a %s %s report (grounding %s)",
            options.model,
            brief.length,
            brief.report_type,
            "on" if options.grounding else "off",
        )
        client = self._create_client(key, settings)
        try:
            if _writes_in_steps(brief):
                title, body, first_prompt = self._write_in_steps(client, run)
            else:
                title, body, first_prompt = self._write_at_once(client, run)
        finally:
            client.close()
        body = without_remote_images(body.strip())
        summary = summary_of(body)
        body += "\n\n" + sources_section(
            run.sources, language=brief.language, grounding=options.grounding
        )
        # Where the numbers came from, as every report states it.
        body += "\n\n## Trends data\n\n" + escape_markdown(
            describe_data_quality(brief.trends)
        )
        on_progress("write", 100, "Report written.", text=body)
        logger.info(
            "Gemini %s finished: %d prompt, %d output, %d thinking tokens, $%.6f",
            options.model,
            run.usage.prompt,
            run.usage.output,
            run.usage.thinking,
            run.spent_usd,
        )
        return Draft(
            title=title,
            summary=summary,
            body=body,
            writer=WRITER_NAME,
            writer_version=WRITER_VERSION,
            model=options.model,
            sources=list(run.sources),
            prompt=f"{run.system}\n\n{first_prompt}",
            prompt_tokens=run.usage.prompt,
            output_tokens=run.usage.output,
            thinking_tokens=run.usage.thinking,
            cost_usd=round(run.spent_usd, 6),
            stage_costs={name: round(usd, 6) for name, usd in run.stage_costs.items()},
        )

    @staticmethod
    def _create_client(key: str, settings: Settings) -> genai.Client:
        http_options = types.HttpOptions(
            timeout=REQUEST_TIMEOUT_MS,
            # One attempt per call: this module retries, honouring retryDelay.
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        base_url = settings.gemini_base_url.strip()
        if base_url:
            http_options.base_url = base_url
        # Without a base URL here, the SDK reads GOOGLE_GEMINI_BASE_URL itself.
        return genai.Client(api_key=key, vertexai=False, http_options=http_options)

    # The two plans ----------------------------------------------------------

    def _write_at_once(self, client: genai.Client, run: _Run) -> tuple[str, str, str]:
        brief = run.brief
        prompt = prompts.single_pass_prompt(brief)
        step = _Step(
            name="report",
            stage="write",
            prompt=prompt,
            message=f"Gemini ({run.options.model}) is writing the report.",
            start_percent=5,
            end_percent=95,
            expected_characters=prompts.target_words(brief) * CHARACTERS_PER_WORD,
        )
        result = self._run_step(client, run, step)
        text = self._cite(run, result)
        title, text = split_title(text, prompts.fallback_title(brief))
        body = f"# {title}\n\n{text.strip()}"
        return title, body, prompt

    def _write_in_steps(self, client: genai.Client, run: _Run) -> tuple[str, str, str]:
        brief = run.brief
        outline_prompt = prompts.outline_prompt(brief)
        if brief.approved_outline is not None:
            outline = prompts.parse_outline(brief.approved_outline.text, brief)
            self._book_approved_outline(run, brief.approved_outline)
        else:
            outline = self._write_outline(client, run, outline_prompt)
        title = plain_heading(outline.title)
        run.finished_text = f"# {title}\n\n"
        count = len(outline.headings)
        share = 85 / count
        words = max(120, prompts.target_words(brief) // count)
        for index, heading in enumerate(outline.headings):
            label = plain_heading(heading)[:80]
            step = _Step(
                name=f"section {index + 1}: {label}",
                stage="write",
                prompt=prompts.section_prompt(brief, outline, index),
                message=f"Writing section {index + 1} of {count}: {label}.",
                start_percent=int(10 + share * index),
                end_percent=int(10 + share * (index + 1)),
                expected_characters=words * CHARACTERS_PER_WORD,
            )
            text = self._cite(run, self._run_step(client, run, step)).strip()
            if not text.startswith("## "):
                text = f"## {heading}\n\n{text}"
            run.finished_text += text + "\n\n"
            run.shown_text = run.finished_text
        return title, run.finished_text, outline_prompt

    def _write_outline(
        self, client: genai.Client, run: _Run, outline_prompt: str
    ) -> prompts.Outline:
        """Write the outline; raise ``OutlineReady`` when the analyst reviews it."""
        brief = run.brief
        outline_step = _Step(
            name="outline",
            stage="outline",
            prompt=outline_prompt,
            message=f"Gemini ({run.options.model}) is writing the outline.",
            start_percent=2,
            end_percent=10,
            expected_characters=OUTLINE_OUTPUT_TOKENS * 4,
        )
        outline_text = self._run_step(client, run, outline_step).text
        outline = prompts.parse_outline(outline_text, brief)
        if not outline.from_model:
            logger.warning(
                "Gemini %s returned no usable outline; using the %s template's",
                run.options.model,
                brief.report_type,
            )
        if run.options.review_outline:
            raise OutlineReady(
                OutlineDraft(
                    text=prompts.outline_markdown(outline),
                    prompt_tokens=run.usage.prompt,
                    output_tokens=run.usage.output,
                    thinking_tokens=run.usage.thinking,
                    cost_usd=round(run.spent_usd, 6),
                    from_model=outline.from_model,
                )
            )
        return outline

    @staticmethod
    def _book_approved_outline(run: _Run, outline: OutlineDraft) -> None:
        """Count the reviewed outline's tokens and cost in this report's totals."""
        run.usage.add(
            Usage(
                prompt=outline.prompt_tokens,
                output=outline.output_tokens,
                thinking=outline.thinking_tokens,
            )
        )
        run.spent_usd += outline.cost_usd
        run.stage_costs["outline"] = outline.cost_usd

    # One step, with retries -------------------------------------------------

    def _run_step(self, client: genai.Client, run: _Run, step: _Step) -> _StepResult:
        self._check_cap_before(run, step)
        run.show(step, run.finished_text or run.shown_text, step.start_percent)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self._stream_step(client, run, step)
            except AttemptFailed as failed:
                failure = failed.failure
            delay = self._retry_delay(failure, attempt) if failure.retryable else None
            if delay is None or attempt == MAX_ATTEMPTS:
                logger.warning(
                    "Gemini %s: %s on %s after %d attempt(s); stopping",
                    run.options.model,
                    failure.status or type(failure.error).__name__,
                    step.name,
                    attempt,
                )
                raise failure.error
            logger.warning(
                "Gemini %s: %s on %s; retrying in %.1f s (attempt %d of %d)",
                run.options.model,
                failure.status,
                step.name,
                delay,
                attempt + 1,
                MAX_ATTEMPTS,
            )
            message = (
                f"The request to Gemini failed ({failure.status}); retrying in "
                f"{delay:.0f} s (attempt {attempt + 1} of {MAX_ATTEMPTS})."
            )
            self._wait(run, step, delay, message)
        raise AssertionError("unreachable: the last attempt raises")

    def _retry_delay(self, failure: Failure, attempt: int) -> float | None:
        """Return the wait before the next attempt, or None to stop now."""
        if failure.suggested_delay is not None:
            if failure.suggested_delay > MAX_SUGGESTED_WAIT_SECONDS:
                return None
            return failure.suggested_delay
        backoff = BACKOFF_INITIAL_SECONDS * 2 ** (attempt - 1)
        return min(BACKOFF_MAX_SECONDS, backoff + random.uniform(0, 1))

    def _wait(self, run: _Run, step: _Step, seconds: float, message: str) -> None:
        """Sleep ``seconds`` in slices, reporting progress so a cancel gets in."""
        remaining = seconds
        while remaining > 0:
            run.on_progress(
                step.stage, step.start_percent, message, text=run.finished_text
            )
            slice_seconds = min(WAIT_SLICE_SECONDS, remaining)
            self._sleep(slice_seconds)
            remaining -= slice_seconds

    def _stream_step(self, client: genai.Client, run: _Run, step: _Step) -> _StepResult:
        """Stream one attempt of ``step``; raises ``AttemptFailed`` on failure."""
        config = self._config(run)
        parts: list[str] = []
        usage: types.GenerateContentResponseUsageMetadata | None = None
        grounding: types.GroundingMetadata | None = None
        finish_reason = ""
        finish_candidate: types.Candidate | None = None
        try:
            stream = client.models.generate_content_stream(
                model=run.options.model, contents=step.prompt, config=config
            )
            with closing(stream):
                for chunk in stream:
                    if chunk.usage_metadata is not None:
                        usage = chunk.usage_metadata
                    blocked = prompt_block_reason(chunk)
                    if blocked:
                        raise AttemptFailed(prompt_blocked(blocked))
                    candidate = chunk.candidates[0] if chunk.candidates else None
                    if candidate is None:
                        self._check_cap_during(run, step, usage, "".join(parts))
                        continue
                    if candidate.grounding_metadata is not None:
                        grounding = candidate.grounding_metadata
                    if candidate.finish_reason is not None:
                        finish_reason = enum_name(candidate.finish_reason)
                        finish_candidate = candidate
                    new_text = candidate_text(candidate)
                    if new_text:
                        parts.append(new_text)
                        step_text = "".join(parts)
                        run.show(
                            step,
                            run.finished_text + step_text,
                            _percent_within(step, len(step_text)),
                        )
                    # Thinking is billed before any text arrives, so every
                    # chunk that reports usage is checked against the cap.
                    self._check_cap_during(run, step, usage, "".join(parts))
        except AttemptFailed as failed:
            self._book(
                run, step, usage_of(usage, step.prompt, run.system, "".join(parts))
            )
            failed.failure.error = with_partial(failed.failure.error, run.shown_text)
            raise
        except genai_errors.APIError as error:
            self._book(
                run, step, usage_of(usage, step.prompt, run.system, "".join(parts))
            )
            failure = api_failure(error, model=run.options.model, key=run.key)
            failure.error = with_partial(failure.error, run.shown_text)
            raise AttemptFailed(failure) from None
        except _TRANSPORT_ERRORS as error:
            self._book(
                run, step, usage_of(usage, step.prompt, run.system, "".join(parts))
            )
            failure = network_failure(
                error, base_url=run.base_url, received_text=bool(parts)
            )
            failure.error = with_partial(failure.error, run.shown_text)
            raise AttemptFailed(failure) from None

        text = "".join(parts)
        step_usage = usage_of(usage, step.prompt, run.system, text)
        self._book(run, step, step_usage)
        if not finish_reason:
            # The API always ends a stream with a finish reason; without one
            # the connection closed early.
            failure = cut_stream_failure()
            failure.error = with_partial(failure.error, run.shown_text)
            raise AttemptFailed(failure)
        self._check_finish(run, step, finish_reason, finish_candidate, text, step_usage)
        return _StepResult(text=text, usage=step_usage, grounding=grounding)

    def _config(self, run: _Run) -> types.GenerateContentConfig:
        tools = None
        if run.options.grounding:
            tools = [types.Tool(google_search=types.GoogleSearch())]
        return types.GenerateContentConfig(
            system_instruction=run.system,
            temperature=run.options.temperature,
            max_output_tokens=run.options.max_output_tokens,
            tools=tools,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(
                disable=True
            ),
            # A broken stream is retried here, from the start of the step, so
            # no text is received twice.
            automatic_continuation=False,
        )

    # Checks -----------------------------------------------------------------

    def _check_finish(
        self,
        run: _Run,
        step: _Step,
        finish_reason: str,
        candidate: types.Candidate | None,
        text: str,
        usage: Usage,
    ) -> None:
        limit = run.options.max_output_tokens
        if finish_reason in SAFETY_FINISH_REASONS:
            raise GeminiBlocked(
                "Gemini stopped writing because its safety filter flagged the "
                f"text ({blocked_category(candidate)}). Rephrase the topics or "
                "instructions and try again; the text written so far is kept.",
                partial_text=run.shown_text,
            )
        if finish_reason == "MAX_TOKENS" and not text.strip():
            raise GeminiOutputLimit(
                f"Gemini used its whole output limit of {limit} tokens "
                f"({usage.thinking} of them on thinking) before writing any text "
                f"for the {step.name}. Raise GEMINI_MAX_OUTPUT_TOKENS or the "
                "output limit on the form, or pick a model that thinks less.",
                partial_text=run.shown_text,
            )
        if finish_reason == "MAX_TOKENS":
            raise GeminiOutputLimit(
                f"The report was cut off at Gemini's output limit of {limit} "
                "tokens. Raise GEMINI_MAX_OUTPUT_TOKENS or the output limit on "
                "the form, or choose a shorter length; the text written so far "
                "is kept.",
                partial_text=run.shown_text,
            )
        if finish_reason != "STOP":
            raise WriterFailed(
                f"Gemini stopped early (finish reason {finish_reason}). Retry the "
                "job or rephrase the instructions; the text written so far is kept.",
                partial_text=run.shown_text,
            )
        if not text.strip():
            raise GeminiEmptyAnswer(
                f"Gemini returned an empty response for the {step.name}. Retry "
                "the job, or pick another model.",
                partial_text=run.shown_text,
            )

    def _check_cap_before(self, run: _Run, step: _Step) -> None:
        """Stop before sending a step once the cost has reached the cap."""
        cap = run.options.cost_cap_usd
        if cap is not None and run.spent_usd >= cap:
            raise cost_cap_reached(cap, run.spent_usd, run.shown_text)

    def _check_cap_during(
        self,
        run: _Run,
        step: _Step,
        usage: types.GenerateContentResponseUsageMetadata | None,
        step_text: str,
    ) -> None:
        cap = run.options.cost_cap_usd
        if cap is None:
            return
        current = usage_of(usage, step.prompt, run.system, step_text)
        step_usd = cost_usd(
            run.options.model, current.prompt, current.output, current.thinking
        )
        spent = run.spent_usd + (step_usd or 0.0)
        if spent >= cap:
            raise AttemptFailed(Failure(cost_cap_reached(cap, spent, run.shown_text)))

    def _book(self, run: _Run, step: _Step, usage: Usage) -> None:
        """Add one request's tokens and cost to the run and to its step."""
        run.usage.add(usage)
        step_usd = (
            cost_usd(run.options.model, usage.prompt, usage.output, usage.thinking)
            or 0.0
        )
        run.spent_usd += step_usd
        run.stage_costs[step.name] = run.stage_costs.get(step.name, 0.0) + step_usd

    def _cite(self, run: _Run, result: _StepResult) -> str:
        """Number the step's web sources and mark the sentences they support."""
        metadata = result.grounding
        if metadata is None or not metadata.grounding_chunks:
            return result.text
        numbers: dict[int, int] = {}
        for index, chunk in enumerate(metadata.grounding_chunks):
            web = chunk.web
            uri = safe_link(web.uri if web else None)
            if web is None or uri is None:
                continue
            if uri not in run.source_numbers:
                run.source_numbers[uri] = len(run.sources) + 1
                title = (web.title or web.domain or urlsplit(uri).netloc).strip()
                run.sources.append(
                    {"number": run.source_numbers[uri], "title": title, "uri": uri}
                )
            numbers[index] = run.source_numbers[uri]
        return insert_citations(result.text, metadata, numbers)


# Helpers ---------------------------------------------------------------------


def _effective_base_url(settings: Settings) -> str:
    """Return the base URL requests go to, for messages (the SDK picks it itself)."""
    return (
        settings.gemini_base_url.strip()
        or os.environ.get("GOOGLE_GEMINI_BASE_URL", "").strip()
        or DEFAULT_BASE_URL
    )


def _percent_within(step: _Step, characters: int) -> int:
    done = min(1.0, characters / max(1, step.expected_characters))
    return min(
        step.end_percent - 1,
        int(step.start_percent + done * (step.end_percent - step.start_percent)),
    )
