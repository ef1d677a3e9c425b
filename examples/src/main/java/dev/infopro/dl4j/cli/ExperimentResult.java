package dev.infopro.dl4j.cli;

import lombok.Value;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/** One row of {@code results.json}, and the summary of {@code metrics.json}. */
@Value
class ExperimentResult {
    @JsonProperty("method")
    String method;
    @JsonProperty("k")
    int k;
    @JsonProperty("cuts")
    List<String> cuts;
    @JsonProperty("test_accuracy")
    double testAccuracy;
    @JsonProperty("peak_bytes")
    long peakBytes;
    @JsonProperty("seconds_per_epoch")
    double secondsPerEpoch;
    @JsonProperty("epochs")
    List<EpochMetrics> epochs;
}
