/**
 * Checkpoints through a CheckpointStorage:
 *
 *   <id>/model.safetensors      the weights, by Hugging Face name
 *   <id>/optimizer.safetensors  optimizer slots (exp_avg/<name>, …)
 *   <id>/best.safetensors       best weights so far (early stopping with restore_best)
 *   <id>/reference.safetensors  DPO: each pair's reference log-probabilities (train, validation: [pairs, 2])
 *   <id>/state.json             cursor, batch size, seed, schedule/plateau/early-stopping state, resolved config, metrics
 *   <id>/manifest.json          written LAST: files with sizes and sha256; only a checkpoint with a manifest counts
 *
 * `id` is `step-<8 digits>`, so ids sort by step. After each save, checkpoints beyond the best
 * `keep` (by score, lower better) are deleted, except the newest, which a restart resumes from.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TrainerConfig } from '../config';
import { concatChunks, encodeSafetensors as encodeHost, readSafetensors } from '../io';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import type { Checkpointer, ControlState, ReferenceLogps, TrainingState } from './state';
import { sha256, type CheckpointStorage } from './storage';

export interface Manifest {
  id: string;
  step: number;
  score: number | null;
  createdAt: string;
  files: Record<string, { bytes: number; sha256: string }>;
  metrics: Record<string, number>;
}

interface StateJson {
  cursor: TrainingState['cursor'];
  batchSize: number;
  totalSteps: number;
  seed: number;
  optimizerSteps: number;
  control: ControlState;
  config: TrainerConfig;
  metrics: Record<string, number>;
}

export class CheckpointManager implements Checkpointer {
  constructor(
    readonly storage: CheckpointStorage,
    private readonly keep: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static idFor(step: number): string {
    return `step-${String(step).padStart(8, '0')}`;
  }

  async manifests(): Promise<Manifest[]> {
    const paths = (await this.storage.list()).filter((p) => /^step-\d{8}\/manifest\.json$/.test(p));
    const out: Manifest[] = [];
    for (const p of paths) {
      try {
        out.push(JSON.parse(new TextDecoder().decode(await this.storage.read(p))) as Manifest);
      } catch {
        // A manifest that cannot be read does not count.
      }
    }
    return out.sort((a, b) => b.step - a.step);
  }

  async save(state: TrainingState, score: number | undefined): Promise<{ id: string }> {
    const id = CheckpointManager.idFor(state.cursor.step);
    const files: Record<string, Uint8Array> = {
      'model.safetensors': await encodeSafetensors(state.weights as Map<string, tf.Tensor>, { format: 'pt' }),
      'optimizer.safetensors': await encodeSafetensors(state.optimizer.tensors),
    };
    if (state.bestWeights) files['best.safetensors'] = await encodeSafetensors(state.bestWeights);
    if (state.reference) files['reference.safetensors'] = encodeReference(state.reference);
    const json: StateJson = {
      cursor: state.cursor,
      batchSize: state.batchSize,
      totalSteps: state.totalSteps,
      seed: state.seed,
      optimizerSteps: state.optimizer.steps,
      control: state.control,
      config: state.config,
      metrics: state.metrics,
    };
    files['state.json'] = new TextEncoder().encode(JSON.stringify(json, null, 2));
    const manifest: Manifest = {
      id,
      step: state.cursor.step,
      score: score ?? null,
      createdAt: this.now().toISOString(),
      files: {},
      metrics: state.metrics,
    };
    for (const [name, bytes] of Object.entries(files)) {
      await this.storage.write(`${id}/${name}`, bytes);
      manifest.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
    }
    await this.storage.write(`${id}/manifest.json`, JSON.stringify(manifest, null, 2));
    await this.prune(id);
    return { id };
  }

  /** Keeps the best `keep` by score plus the newest; removes the rest, manifest first. */
  private async prune(newest: string): Promise<void> {
    const all = await this.manifests();
    const ranked = [...all].sort((a, b) => (a.score ?? Infinity) - (b.score ?? Infinity) || b.step - a.step);
    const keep = new Set([newest, ...ranked.slice(0, this.keep).map((m) => m.id)]);
    const paths = await this.storage.list();
    for (const m of all) {
      if (keep.has(m.id)) continue;
      await this.storage.remove(`${m.id}/manifest.json`);
      for (const p of paths)
        if (p.startsWith(`${m.id}/`) && p !== `${m.id}/manifest.json`) await this.storage.remove(p);
    }
  }

  /** The newest checkpoint whose manifest is present and whose files match it. */
  async latest(): Promise<TrainingState | undefined> {
    for (const m of await this.manifests()) {
      const state = await this.load(m).catch(() => undefined);
      if (state) return state;
    }
    return undefined;
  }

  async load(m: Manifest): Promise<TrainingState> {
    const bytes: Record<string, Uint8Array> = {};
    for (const [name, f] of Object.entries(m.files)) {
      const b = await this.storage.read(`${m.id}/${name}`);
      if (b.length !== f.bytes || sha256(b) !== f.sha256)
        throw new Error(`checkpoint ${m.id}: ${name} does not match its manifest`);
      bytes[name] = b;
    }
    const s = JSON.parse(new TextDecoder().decode(bytes['state.json'])) as StateJson;
    return {
      cursor: s.cursor,
      batchSize: s.batchSize,
      totalSteps: s.totalSteps,
      seed: s.seed,
      weights: decodeSafetensors(bytes['model.safetensors']).tensors,
      optimizer: {
        tensors: decodeSafetensors(bytes['optimizer.safetensors']).tensors,
        steps: s.optimizerSteps,
      },
      bestWeights: bytes['best.safetensors']
        ? decodeSafetensors(bytes['best.safetensors']).tensors
        : undefined,
      ...(bytes['reference.safetensors']
        ? { reference: decodeReference(bytes['reference.safetensors']) }
        : {}),
      control: s.control,
      config: s.config,
      metrics: s.metrics,
    };
  }
}

function encodeReference(r: ReferenceLogps): Uint8Array {
  const entries = Object.entries(r).filter((e): e is [string, Float32Array] => e[1] !== undefined);
  return concatChunks(
    encodeHost(entries.map(([name, data]) => [name, { shape: [data.length / 2, 2], data }])),
  );
}

function decodeReference(bytes: Uint8Array): ReferenceLogps {
  const { tensors } = readSafetensors(bytes);
  const train = tensors.get('train');
  if (!train) throw new Error('reference.safetensors holds no train tensor');
  const validation = tensors.get('validation');
  return { train: train.data, ...(validation ? { validation: validation.data } : {}) };
}
