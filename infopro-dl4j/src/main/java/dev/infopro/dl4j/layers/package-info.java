/**
 * Custom DL4J layers InfoPro needs: {@link dev.infopro.dl4j.layers.BilinearUpsampling2D} (bilinear resize with
 * align_corners = true and an exact backward pass) for the reconstruction decoder.
 */
package dev.infopro.dl4j.layers;
