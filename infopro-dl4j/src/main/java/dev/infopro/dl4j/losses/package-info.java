/**
 * Loss functions of InfoPro's local losses: {@link dev.infopro.dl4j.losses.LossBinaryCrossEntropy} (PyTorch
 * BCELoss semantics), {@link dev.infopro.dl4j.losses.LossSupCon} (single-view SupCon),
 * {@link dev.infopro.dl4j.losses.ScaledLoss} (a lambda on any loss), and
 * {@link dev.infopro.dl4j.losses.InfoProLosses} (the same losses as SameDiff functions).
 *
 * <p>Depends on no other package of the library but {@code layers} (the bilinear interpolation matrices).
 */
package dev.infopro.dl4j.losses;
