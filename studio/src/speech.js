// Spoken replies: PCM16 chunks scheduled on one audio clock, and the visemes timed against the same clock.
export class Speaker {
  constructor() {
    this.context = new AudioContext();
    this.utteranceStart = 0;
    this.queueEnd = 0;
    this.visemes = [];
    this.chunks = 0;
  }

  /** Schedules a chunk; a chunk at 0 ms starts a new utterance after whatever is still playing. */
  play(chunk) {
    const now = this.context.currentTime + 0.05;
    if (chunk.startMs === 0) this.utteranceStart = Math.max(now, this.queueEnd);
    const samples = new Int16Array(chunk.pcm.buffer.slice(chunk.pcm.byteOffset, chunk.pcm.byteOffset + chunk.pcm.byteLength));
    const buffer = this.context.createBuffer(1, samples.length, chunk.sampleRate);
    buffer.getChannelData(0).set(Float32Array.from(samples, (sample) => sample / 32768));
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const at = Math.max(now, this.utteranceStart + chunk.startMs / 1000);
    source.start(at);
    this.queueEnd = Math.max(this.queueEnd, at + buffer.duration);
    this.chunks += 1;
  }

  /** Keeps a mouth shape to be shown from its start to its end on the audio clock. */
  viseme(event) {
    this.visemes.push({ name: event.name, weight: event.weight,
      from: this.utteranceStart + event.startMs / 1000, to: this.utteranceStart + event.endMs / 1000 });
  }

  /** The mouth shapes to show now: {name: weight}. */
  mouth() {
    const now = this.context.currentTime;
    this.visemes = this.visemes.filter((item) => item.to >= now);
    return Object.fromEntries(this.visemes.filter((item) => item.from <= now).map((item) => [item.name, item.weight]));
  }

  close() {
    this.context.close();
  }
}
