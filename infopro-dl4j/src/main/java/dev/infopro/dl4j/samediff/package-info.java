/**
 * InfoPro local training of SameDiff networks: a network given as a chain of named SameDiff units
 * ({@link dev.infopro.dl4j.samediff.SameDiffNetwork}: a user's existing graph cut at its variables through
 * {@link dev.infopro.dl4j.samediff.SameDiffGraphImport}, units written as functions, or
 * {@link dev.infopro.dl4j.samediff.SameDiffResNet}) is cut
 * into K module graphs, each trained by its own {@link dev.infopro.dl4j.samediff.SameDiffModuleTrainer} (the
 * engine's {@code ModuleTrainer} contract, run by the engine's executors) with the InfoPro heads of
 * {@code heads.SameDiffHeads}; {@link dev.infopro.dl4j.samediff.SameDiffLocalModel} is the front (fit, output,
 * evaluate, export of the plain backbone, save and load). See docs/samediff.md.
 */
package dev.infopro.dl4j.samediff;
