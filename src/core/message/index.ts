// Raw message handling that keeps exact bytes (for DKIM, ARC and anything else that hashes a message).
export { normalizeLineEndings, LineEndingNormalizer } from './line-endings.js';
export { parseHeaderBlock, makeField, fieldValue, type HeaderField } from './headers.js';
export { splitMessage, findHeaderEnd, type SplitMessage } from './split.js';
export {
  splitMessageStream,
  MAX_HEADER_BLOCK_BYTES,
  type StreamedMessage,
  type StreamSplitError,
  type StreamSplitResult,
} from './stream.js';
