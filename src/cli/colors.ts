// Colour for human output. picocolors turns colour on whenever CI is set, but our output often goes to a
// pipe or an injected writer: colour only when stdout is a terminal, honouring NO_COLOR and FORCE_COLOR.
import picocolors from 'picocolors';

function colourWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  if (env.NO_COLOR !== undefined || env.TERM === 'dumb') return false;
  return process.stdout.isTTY === true;
}

const pc = picocolors.createColors(colourWanted());
export default pc;
