/**
 * InfoPro's auxiliary networks as DL4J graph fragments: {@link dev.infopro.dl4j.heads.ReconstructionHead} (the
 * decoder, BCE against the de-normalised image) and {@link dev.infopro.dl4j.heads.AuxClassifierHead} (softmax or
 * SupCon head, configs 0c1f..2c2f). A head adds its layers with {@code attach} and ends in a weighted output layer.
 * {@link dev.infopro.dl4j.heads.SameDiffHeads} builds the same heads and the whole local loss in SameDiff.
 */
package dev.infopro.dl4j.heads;
