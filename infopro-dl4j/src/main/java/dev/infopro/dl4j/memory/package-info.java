/**
 * Measuring the memory of training: {@link dev.infopro.dl4j.memory.MemoryProbe} (a DL4J listener that samples
 * ND4J's array and workspace counters inside every step), {@link dev.infopro.dl4j.memory.ProcessMemory} (the
 * kernel's exact resident-set size and its high-water mark) and {@link dev.infopro.dl4j.memory.MemoryFigures} (the
 * peaks of one run).
 *
 * <p>A low-level package: it may use {@code backend} (native-heap control) and nothing else of the library, so that
 * the engine can measure itself without a cycle. The benchmarks that fork JVMs to measure whole runs are in the
 * tool module ({@code dev.infopro.dl4j.bench}), not in the library.
 */
package dev.infopro.dl4j.memory;
