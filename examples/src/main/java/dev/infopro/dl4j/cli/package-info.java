/**
 * The {@code infopro} command-line tool: one picocli command per verb ({@code train}, {@code compare},
 * {@code demo}, {@code eval}, {@code memory}, {@code bench}, {@code doctor}), their shared run options and
 * experiment runner, the quiet screen and progress display, and the charts. Commands that compare configurations run
 * each one in a fresh JVM ({@code dev.infopro.dl4j.bench.ForkedJvm}) so that one run's memory cannot inflate the
 * next one's.
 */
package dev.infopro.dl4j.cli;
