// Package llm is the agent's real coder and reviewer: it prompts any
// OpenAI-compatible model (OpenAI, DeepSeek, Qwen in DashScope compatible
// mode, vLLM, SGLang, Ollama) through sashabaranov/go-openai to draft,
// improve and debug solutions (Coder, a search.Coder, role llm.code) and to
// review each execution (Reviewer, a search.Reviewer, role llm.feedback).
// New builds both for one task-run.
//
// Prompts give the model the task description, the rules of the sandbox
// (where the data is, where the submission goes, print
// "validation_metric: <value>", time and steps left, one file, GPU or not),
// a data preview made in Go (Preview), and the memory context of the
// expansion (ContextBuilder; package memory's, wired by the harness, or
// DefaultContext). The model answers with a short plan and one python code
// block; ParseReply documents how code is found in less tidy replies. A
// reply without code is asked again with a reminder, up to
// llm.code.format_retries times.
//
// Reasoning models: <think>...</think> is stripped from content, the
// reasoning_content (or vLLM's reasoning) field is read, and reasoning
// tokens are taken from the usage details or, where the server does not
// split them, estimated from the characters of thinking and answer. With
// steerable_reasoning the chat is rendered with the model family's
// template (Templates; llm.templates adds more) and sent to the raw
// completions endpoint with the model's thinking opened and pre-filled with
// the memory context and the parent's results; only the text after the
// thinking is used.
//
// Faults: HTTP 429 (Retry-After honoured, up to ten minutes), 408, 409, 425 and 5xx,
// timeouts, connection resets, bodies that break off or do not decode,
// replies without choices and empty or malformed tool calls are retried
// with exponential backoff and jitter (Backoff) up to max_retries, and
// waiting stops when the context is cancelled. Then the call fails with a
// *CallError, which the search records as a failed node. HTTP 401 and 403
// wrap search.ErrFatal and stop the search. Other 4xx fail at once.
//
// Accounting: every call's prompt, completion and reasoning tokens and its
// latency (the time of its exchanges, not of the waits between retries)
// go into the search.Usage of the proposal or review; a Meter sums them per
// model and Cost prices them from llm.prices.
//
// Transcripts: every HTTP exchange, failed attempts included, is appended
// as one JSON line (Record) to Options.Transcript. llm.replay names such a
// file to answer from instead of the network: exchanges are matched by
// (role, node id, sequence number of the exchange within that role and
// node), not by request content, because prompts carry the time left and
// so differ between runs. Node ids are deterministic and one node's calls
// are sequential, so a replay is deterministic even with parallel workers.
// Recorded faults are replayed too (without waiting), and recorded
// latencies are reported, so usage comes out the same.
//
// Keys are read only from the environment variable a role names
// (api_key_env). They are sent in the Authorization header and nowhere
// else: no header but Retry-After and Content-Type is recorded, and the key
// value is replaced by "[REDACTED]" in responses, transcripts and error
// messages (keys of at least 8 characters; scrubbing a shorter one, such as
// a local server's "x", would garble the replies).
package llm
