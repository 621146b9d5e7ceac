import { describe, expect, it } from 'vitest';
import { buildRouter } from '../../src/commands/index.js';
import { fold } from '../../src/core/text.js';

describe('router', () => {
  const router = buildRouter();

  it('matches French names ignoring case and accents, and English aliases', () => {
    for (const typed of ['tache', 'tâche', 'TÂCHE', 'Tache', 'task', 'TASK']) expect(router.resolve(typed)?.name).toBe('tache');
    expect(router.resolve('tâches')?.name).toBe('taches');
    expect(router.resolve('tasks')?.name).toBe('taches');
    expect(router.resolve('licorne')).toBeUndefined();
    expect(router.resolve('Réunion')?.name).toBe('reunion');
    expect(router.resolve('dashboard')?.name).toBe('tableau');
    expect(router.resolve('help')?.name).toBe('aide');
    expect(router.resolve('done')?.name).toBe('fait');
  });

  it('suggests close commands for typos', () => {
    expect(router.suggest('tahce')).toContain('tache');
    expect(router.suggest('tablo')).toContain('tableau');
    expect(router.suggest('rouvir')).toContain('rouvrir');
    expect(router.suggest('xyzzyq')).toEqual([]);
  });

  it('resolves button actions with their argument', () => {
    const found = router.resolveButton('task.done:abc123');
    expect(found?.def.action).toBe('task.done');
    expect(found?.arg).toBe('abc123');
    expect(router.resolveButton('nope:1')).toBeUndefined();
  });

  it('shows only what a role may do', () => {
    const citizen = router.available('CITIZEN').map((c) => c.name);
    expect(citizen).toContain('aide');
    expect(citizen).not.toContain('tache');
    const unlinked = router.available(undefined).map((c) => c.name);
    expect(unlinked).toContain('aide');
    expect(unlinked).not.toContain('tableau');
    expect(router.available('MAYOR').length).toBeGreaterThan(citizen.length);
  });

  it('folds accents and case', () => {
    expect(fold('Écoles Réunion ÇA')).toBe('ecoles reunion ca');
  });
});
