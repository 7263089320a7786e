// Reading a streamed response body: NDJSON records and Server-Sent Events.

async function* lines(body) {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, end).replace(/\r$/, "");
      buffered = buffered.slice(end + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered) yield buffered;
}

/** Each non-empty line of an NDJSON body, parsed. */
export async function* jsonLines(body) {
  for await (const line of lines(body)) {
    if (line.trim()) yield JSON.parse(line);
  }
}

/**
 * Each event of a text/event-stream body as `{kind, data}` (data parsed as JSON); comments
 * are skipped, and the server's first one (`: connected`) calls `onConnected`.
 */
export async function* serverSentEvents(body, onConnected = () => {}) {
  let kind = "message";
  let data = [];
  for await (const line of lines(body)) {
    if (line === "") {
      if (data.length > 0) yield { kind, data: JSON.parse(data.join("\n")) };
      kind = "message";
      data = [];
    } else if (line.startsWith(":")) {
      if (line === ": connected") onConnected();
    } else if (line.startsWith("event:")) {
      kind = line.slice(6).trim();
    } else if (line.startsWith("data:")) {
      data.push(line.slice(5).replace(/^ /, ""));
    }
  }
}
