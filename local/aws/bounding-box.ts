/** The BoundingBox shape Rekognition (faces, liveness ovals and images) and Textract share: ratios of the image's size. */
export interface BoundingBox {
  Width: number;
  Height: number;
  Left: number;
  Top: number;
}
