/**
 * The InfoPro paper's networks: the CIFAR ResNets of the reference ({@link dev.infopro.dl4j.models.CifarResNet},
 * depth 6n+2, with readable vertex names) and where the reference cuts them into K local modules
 * ({@link dev.infopro.dl4j.models.CutPresets}).
 *
 * <p>Plain DL4J configurations: this package may use {@code init} (the reference's initialisers) and {@code layers},
 * and nothing else of the library; in particular it knows nothing about local training.
 */
package dev.infopro.dl4j.models;
