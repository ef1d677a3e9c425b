package dev.infopro.dl4j.cli;

import lombok.Value;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/** What {@code metrics.json} records for each epoch. */
@Value
class EpochMetrics {
    @JsonProperty("epoch")
    int epoch;
    @JsonProperty("lr")
    double lr;
    /** Mean training loss of each module over the epoch (module K's is the network's own loss). */
    @JsonProperty("module_train_loss")
    double[] moduleTrainLoss;
    @JsonProperty("test_accuracy")
    double testAccuracy;
    @JsonProperty("seconds")
    double seconds;
    /** Peak resident memory of the process during the epoch's training (kernel VmHWM). */
    @JsonProperty("peak_rss_bytes")
    long peakRssBytes;
}
