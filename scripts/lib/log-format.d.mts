export interface Painter {
  enabled: boolean;
  paint(colour: string, text: string): string;
}
export function createPainter(enabled: boolean): Painter;
export function formatLogLine(line: string, painter: Painter): string;
