/**
 * Offline image datasets for InfoPro training: readers for the original file formats (IDX for MNIST/Fashion-MNIST,
 * CIFAR-10/100 binary, SVHN MATLAB v5 {@code .mat}, STL-10 binary), the {@link dev.infopro.dl4j.data.Datasets}
 * factory that parses CLI dataset specs and attaches each dataset's standard normalisation and augmentation, and
 * {@link dev.infopro.dl4j.data.ImageDataSetIterator}, a reproducible, resumable, prefetching DL4J iterator.
 * {@link dev.infopro.dl4j.data.IteratorChecks} holds what every training and evaluation loop requires of any
 * iterator it is given.
 *
 * <p>Nothing here touches the network: every reader works on local files or classpath resources, and corrupt input
 * is reported as {@link dev.infopro.dl4j.data.DatasetFormatException} naming the file.
 */
package dev.infopro.dl4j.data;
