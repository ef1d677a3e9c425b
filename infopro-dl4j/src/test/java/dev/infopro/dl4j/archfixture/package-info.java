/**
 * Fixtures of {@link dev.infopro.dl4j.ArchitectureTest} that break its rules on purpose: {@code cycle.a} and
 * {@code cycle.b} use each other, {@code layering.low} uses the layer above it and {@code layering.stray} is a
 * package missing from the fixture's dependency table. They are test classes, so the real check never sees them.
 */
package dev.infopro.dl4j.archfixture;
