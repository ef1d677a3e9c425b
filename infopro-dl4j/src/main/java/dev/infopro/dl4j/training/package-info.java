/**
 * The library's training loop: {@link dev.infopro.dl4j.training.LocalTrainer} runs epochs of a
 * {@link dev.infopro.dl4j.engine.LocalModuleGraph} with per-epoch evaluation, crash-safe checkpoints and exact
 * resume, early stopping and the divergence policy, and tells {@link dev.infopro.dl4j.training.TrainerListener}s
 * (which receive the model) what happened. The command-line tool is a thin caller of it. Depends on
 * {@code engine}, {@code checkpoint}, {@code data}, {@code memory} and {@code config}.
 */
package dev.infopro.dl4j.training;
