/**
 * Runnable examples of the library as a user calls it, each kept working by a test: {@code QuickStart} (the
 * README's minimal drop-in on a {@code ComputationGraph}) and the SameDiff quick start.
 */
package dev.infopro.dl4j.examples;
