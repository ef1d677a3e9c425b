package dev.infopro.dl4j.heads;

import lombok.Builder;
import lombok.Value;

/** What a head needs to know about the task: the number of classes and the shape of the input image. */
@Value
@Builder
public class HeadContext {
    /** Number of classes of the task (size of one-hot labels). */
    int numClasses;
    /** Channels of the network's input image (the reconstruction target). */
    long imageChannels;
    /** Height of the network's input image. */
    long imageHeight;
    /** Width of the network's input image. */
    long imageWidth;
}
