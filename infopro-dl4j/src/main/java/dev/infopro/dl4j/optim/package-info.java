/**
 * Optimisation pieces that reproduce the InfoPro training recipe (docs/method.md §3) bit-for-bit in DL4J.
 *
 * <ul>
 *   <li>{@link dev.infopro.dl4j.optim.TorchSgd}: PyTorch's {@code torch.optim.SGD} update rule (momentum buffer not
 *       scaled by the learning rate, PyTorch's Nesterov form) as a DL4J {@code IUpdater}. DL4J's own
 *       {@code Nesterovs} folds the learning rate into the velocity, which differs from PyTorch as soon as the
 *       learning rate changes (every epoch under the cosine schedule).</li>
 *   <li>{@link dev.infopro.dl4j.optim.CoupledWeightDecay}: the {@code g += wd * p} step PyTorch performs before the
 *       momentum update; it is kept out of the updater so that the engine decides which arrays it touches.</li>
 *   <li>{@link dev.infopro.dl4j.optim.CosineWarmupSchedule}: the per-epoch cosine schedule with linear warm-up.</li>
 *   <li>{@link dev.infopro.dl4j.optim.TrainingRecipe}: the per-dataset hyper-parameters with the paper presets.</li>
 * </ul>
 */
package dev.infopro.dl4j.optim;
