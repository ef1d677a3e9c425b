/**
 * Benchmark machinery of the command-line tool, kept out of the library jar:
 * {@link dev.infopro.dl4j.bench.ForkedJvm} runs a main class in a fresh JVM with this JVM's class path (so every
 * measurement starts from an untouched process), and {@link dev.infopro.dl4j.bench.MemoryBenchmark} trains a
 * {@link dev.infopro.dl4j.engine.LocalModuleGraph} for a few steps under a
 * {@link dev.infopro.dl4j.memory.MemoryProbe} and returns the measured figures beside the analytic estimate.
 *
 * <p>Depends on the library's public API ({@code engine}, {@code memory}) only; the library does not depend on it.
 */
package dev.infopro.dl4j.bench;
